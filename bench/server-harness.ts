/**
 * Helpers for bench/suites/server.bench.ts: the real server as a child process (`findable serve`, the
 * same entry point as `npm start`), its memory and CPU from /proc, a synthetic fill of the registry
 * through the store's own (group-commit) insert path, and a closed-loop HTTP load with autocannon.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Mt19937 } from '../src/core/index/rng.ts';
import { SqliteRegistryStore } from '../src/server/store/sqlite-store.ts';

export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  base: string;
  /** spawn() -> "Findable is running at" on its log, ms. */
  readyMs: number;
  /** The server's own measure of rebuildLiveIndex (its log line), ms. */
  rebuildMs: number;
  indexed: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  root: string;
  dataDir: string;
  distDir: string;
  codebook: string;
  extractorManifest: string;
  /** Server stdout + stderr (pino's JSON lines) go to this file: cheaper than a pipe the bench must drain. */
  logFile: string;
  /** CLI flags passed through (rate limits). */
  extraArgs: string[];
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Spawns `node bin/findable.mjs serve` on 127.0.0.1, port 0, and waits until it listens. */
export async function startServer(o: StartOptions): Promise<ServerProcess> {
  const fd = openSync(o.logFile, 'a');
  const logStart = readFileSync(o.logFile).length; // earlier starts appended to the same file
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      join(o.root, 'bin', 'findable.mjs'),
      'serve',
      ...['--port', '0', '--host', '127.0.0.1', '--data', o.dataDir, '--dist', o.distDir],
      ...['--codebook', o.codebook, '--extractor', o.extractorManifest],
      ...o.extraArgs,
    ],
    { cwd: o.root, stdio: ['ignore', fd, fd] },
  );
  closeSync(fd);
  const stop = () => stopChild(child);
  const deadline = t0 + (o.timeoutMs ?? 300_000);
  try {
    for (;;) {
      o.signal?.throwIfAborted();
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}; see ${o.logFile}`);
      if (performance.now() > deadline) throw new Error(`server not ready in time; see ${o.logFile}`);
      const log = readFileSync(o.logFile).subarray(logStart).toString('utf8');
      const m = /Findable is running at http:\/\/(?:localhost|127\.0\.0\.1):(\d+)/.exec(log);
      if (m) {
        const readyMs = performance.now() - t0;
        const rebuilt = log
          .split('\n')
          .filter((l) => l.includes('live index rebuilt from the store'))
          .map((l) => JSON.parse(l) as { durationMs: number; indexed: number })[0];
        if (!rebuilt) throw new Error(`no "live index rebuilt" line in ${o.logFile}`);
        return {
          child,
          pid: child.pid!,
          base: `http://127.0.0.1:${m[1]}`,
          readyMs,
          rebuildMs: rebuilt.durationMs,
          indexed: rebuilt.indexed,
          stop,
        };
      }
      // Polling the log every 10 ms costs little and bounds the start-up measure's error at 10 ms.
      await new Promise((r) => setTimeout(r, 10));
    }
  } catch (e) {
    await stop();
    throw e;
  }
}

/** SIGTERM (the server closes cleanly), SIGKILL after 15 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

export interface ProcStats {
  rssMiB: number;
  /** Peak RSS since the process started (VmHWM). */
  hwmMiB: number;
  /** user + system CPU seconds since the process started. */
  cpuSeconds: number;
}

const CLOCK_TICKS = 100; // USER_HZ: 100 on every Linux Node supports

/** Memory and CPU of a process, from /proc (Linux only). */
export function procStats(pid: number): ProcStats {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15 of the line.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024, cpuSeconds: ticks / CLOCK_TICKS };
}

/** Samples a process's RSS every `everyMs` until stopped; returns the largest sample. */
export function sampleRss(pid: number, everyMs = 250): { stop(): number } {
  let max = procStats(pid).rssMiB;
  const timer = setInterval(() => {
    try {
      max = Math.max(max, procStats(pid).rssMiB);
    } catch {
      // the process exited: keep what was seen
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return max;
    },
  };
}

export interface SyntheticFill {
  dataDir: string;
  ownerTokenId: number;
  codebookVersion: string;
  nlist: number;
  codeSize: number;
}

/** The sha256 field of synthetic registration i (distinct for every i, as the (owner, sha256) key needs). */
export function syntheticSha256(i: number): string {
  return i.toString(16).padStart(64, '0');
}

/**
 * Adds registrations [from, to) straight to the SQLite store: uniformly random list ids and code bytes
 * (seeded by i), no feature, as a browser registration carries. The store groups the inserts of one
 * event-loop turn into one transaction, so `chunk` registrations cost one commit.
 */
export async function fillStore(
  fill: SyntheticFill,
  from: number,
  to: number,
  options: { chunk?: number; signal?: AbortSignal; progress?: (done: number, total: number) => void } = {},
): Promise<number> {
  const { chunk = 10_000 } = options;
  const store = new SqliteRegistryStore({ dataDir: fill.dataDir });
  const rng = new Mt19937(from + 1);
  let added = 0;
  try {
    for (let start = from; start < to; start += chunk) {
      options.signal?.throwIfAborted();
      const pending = [];
      for (let i = start; i < Math.min(to, start + chunk); i++) {
        const code = new Uint8Array(fill.codeSize);
        for (let b = 0; b < code.length; b++) code[b] = rng.next() & 255;
        pending.push(
          store.addImage({
            listId: fill.nlist > 0 ? rng.randInt(fill.nlist) : null,
            code,
            feature: null,
            codebookVersion: fill.codebookVersion,
            title: `synthetic ${i}`,
            creatorName: null,
            creatorUrl: null,
            sha256: syntheticSha256(i),
            ownerTokenId: fill.ownerTokenId,
          }),
        );
      }
      for (const r of await Promise.all(pending)) if (r.created) added++;
      options.progress?.(start + pending.length - from, to - from);
    }
  } finally {
    await store.close();
  }
  return added;
}

export async function countStore(dataDir: string): Promise<number> {
  const store = new SqliteRegistryStore({ dataDir });
  try {
    return await store.countImages();
  } finally {
    await store.close();
  }
}

export interface LoadRequest {
  method: 'POST' | 'GET';
  path: string;
  headers: Record<string, string>;
  /** Called once per request: the body to send (lets every registration carry its own sha256). */
  body: () => string | Buffer;
}

export interface LoadResult {
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  /** Over 2xx answers, from autocannon's per-response times (float ms, not its integer histogram). */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  minMs: number;
  meanMs: number;
  maxMs: number;
  statusCounts: Record<string, number>;
  non2xx: number;
  /** Connection errors and timeouts (autocannon's `errors`). */
  errors: number;
  timeouts: number;
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** A closed-loop load: `connections` clients, each sending its next request when the last one is answered. */
export async function runLoad(
  url: string,
  req: LoadRequest,
  options: { seconds: number; connections: number; signal?: AbortSignal },
): Promise<LoadResult> {
  let latencies = new Float64Array(1 << 16);
  let n = 0;
  // Without a callback autocannon returns its event emitter made thenable (@types/autocannon 7 types it
  // as a bare Promise, and its 'response' event without the leading client argument).
  const instance = autocannon({
    url,
    connections: options.connections,
    pipelining: 1,
    duration: options.seconds,
    timeout: 30,
    requests: [
      {
        method: req.method,
        path: req.path,
        headers: req.headers,
        setupRequest: (r) => ({ ...r, body: req.body() }),
      },
    ],
  }) as unknown as EventEmitter & PromiseLike<autocannon.Result> & { stop(): void };
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode < 200 || statusCode >= 300) return;
    if (n === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[n++] = responseTime;
  });
  const onAbort = () => instance.stop();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const result = await instance;
  options.signal?.removeEventListener('abort', onAbort);
  options.signal?.throwIfAborted();
  const sorted = latencies.slice(0, n).sort();
  const statusCounts: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statusCounts[code] = Number(count);
  const requests = Object.values(statusCounts).reduce((a, b) => a + b, 0);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  return {
    seconds: result.duration,
    requests,
    requestsPerSecond: n / result.duration,
    p50Ms: percentile(sorted, 0.5),
    p90Ms: percentile(sorted, 0.9),
    p99Ms: percentile(sorted, 0.99),
    minMs: n ? sorted[0] : Number.NaN,
    meanMs: n ? sum / n : Number.NaN,
    maxMs: n ? sorted[n - 1] : Number.NaN,
    statusCounts,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

export const MULTIPART_BOUNDARY = '----findable-bench-boundary';
export const MULTIPART_CONTENT_TYPE = `multipart/form-data; boundary=${MULTIPART_BOUNDARY}`;

/** A multipart/form-data body with one file in field `image` (one boundary for all: one content-type header). */
export function multipartImage(jpeg: Buffer, filename: string): Buffer {
  const boundary = MULTIPART_BOUNDARY;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="${filename}"\r\n` +
      'Content-Type: image/jpeg\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return Buffer.concat([head, jpeg, tail]);
}
