/**
 * The real server (`findable serve`, what `npm start` runs) as a child process, for specs and benchmarks
 * that need their own instance: a second build on the same origin (e2e/pwa-update.spec.ts) or a fresh
 * data directory (bench/suites/browser.bench.ts). Playwright's webServer serves the usual one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface FindableServer {
  child: ChildProcess;
  base: string;
  port: number;
  /** SIGTERM, then SIGKILL if it has not exited within 10 s. */
  stop(): Promise<void>;
}

export interface ServeOptions {
  /** Data directory (database); a fresh one per instance unless the test wants to keep state. */
  data: string;
  /** Built app to serve; dist/ by default. */
  dist?: string;
  /** 0 (default): any free port. */
  port?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A port that was free a moment ago (to start two servers one after the other on the same origin). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

/**
 * A private copy of the built app (source maps left out): other jobs on a shared working tree may rebuild
 * dist/ while a spec or benchmark is serving it, which empties it for a few seconds.
 */
export function snapshotDist(to: string, from = join(root, 'dist')): string {
  if (!existsSync(join(from, 'sw.js'))) throw new Error(`${from} holds no built app: run vite build`);
  cpSync(from, to, { recursive: true, filter: (src) => !src.endsWith('.map') });
  return to;
}

export async function startFindable(o: ServeOptions): Promise<FindableServer> {
  const args = ['serve', '--port', String(o.port ?? 0), '--host', '127.0.0.1', '--data', o.data];
  if (o.dist) args.push('--dist', o.dist);
  const child = spawn(process.execPath, [join(root, 'bin/findable.mjs'), ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Keep draining the log (a full pipe would block the server); the tail explains a failed start.
  let log = '';
  const keep = (d: Buffer) => {
    log = (log + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (o.timeoutMs ?? 120_000);
  for (;;) {
    const m = /running at http:\/\/(?:localhost|127\.0\.0\.1):(\d+)/.exec(log);
    if (m) return { child, base: `http://127.0.0.1:${m[1]}`, port: Number(m[1]), stop };
    if (child.exitCode !== null || Date.now() > deadline || o.signal?.aborted) {
      await stop();
      o.signal?.throwIfAborted();
      throw new Error(`findable serve did not start:\n${log.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
