/**
 * `npm run bench -- browser`: the BUILT app (dist/) served by the real server (`findable serve`), driven
 * through its UI in Debian's Chromium (headless, Playwright), as issue 7 asks:
 *
 *   first-visit bytes   a fresh browser context loads `/` until the engine is ready, the service worker has
 *                       precached the app (html[data-offline-ready]) and the network has been idle for a
 *                       second. Bytes are Chromium's encodedDataLength (Network.loadingFinished: headers +
 *                       body as received, compressed), read through Playwright's CDP sessions on the page,
 *                       its dedicated worker and the service worker (a raw browser-level CDP session cannot
 *                       auto-attach to those targets without the flat protocol, which Playwright's session
 *                       does not expose). Chromium reports only the headers of worker scripts (the engine
 *                       worker, sw.js, its importScripts): their bodies are sized from the server
 *                       (params bodiesFromServer). Responses the service worker answered are not network
 *                       bytes and are left out. Split: document/JS/CSS, wasm, model, codebook, other; then the same
 *                       for a repeat visit (service worker and model cache warm).
 *   time to interactive navigation start -> performance mark `findable:dropReady` (the drop / paste
 *                       listeners are attached: a photo dropped now is queued), and -> `findable:engineReady`
 *                       (model loaded, sessions created and warmed up: the photo starts computing), both set
 *                       by src/ui/lib/readiness.ts; FCP and LCP from the Paint / LCP performance entries.
 *   activation          a corpus photo cropped to exactly 1024x768 (sharp), dropped on `/?backend=wasm` with
 *                       10 steps set in the settings panel; the value is the worker's own total (decode ->
 *                       encoded result file), with its per-stage times and the drop -> done wall time in
 *                       params. 3 repetitions (1 in quick mode), one after the other. On `?backend=webgpu`
 *                       only when Chromium (with --enable-unsafe-webgpu) offers a hardware adapter: the
 *                       SwiftShader fallback adapter is about 100x slower than wasm (docs), so it is skipped
 *                       and the record says why.
 *
 * dist/ is rebuilt (`vite build`) only when it is missing or older than the sources it is built from, then
 * served from a private copy with a fresh data directory.
 * Needs the corpus (../shared/corpus/photos) for the activation; without it that part is skipped.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from '@playwright/test';
import sharp from 'sharp';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../e2e/chromium.ts';
import { type FindableServer, snapshotDist, startFindable } from '../../e2e/findable-server.ts';
import { dropFiles, type TestFile } from '../../e2e/ui-helpers.ts';
import { summarize } from '../measure.ts';
import type { BenchContext, BenchRecord, BenchSuite } from '../suite.ts';

const SUITE = 'browser';
const PHOTO = 'enl-peaks.jpg';
const SIZE = { w: 1024, h: 768 };
const STEPS = 10;
/** How long one page may take to become ready, and one photo to activate (a loaded 2-core machine). */
const READY_TIMEOUT_MS = 300_000;
const ACTIVATE_TIMEOUT_MS = 300_000;
/** The network counts as idle after this long without a request in flight. */
const IDLE_MS = 1000;

// ---------------------------------------------------------------------------------------------------------
// Build and server

/** Newest modification time (ms) under `path`, test files left out (they are not in the build). */
function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return /\.test\.tsx?$/.test(path) ? 0 : st.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function run(cmd: string, args: string[], cwd: string, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], signal });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}: ${code}\n${err}`)),
    );
  });
}

/** dist/ as it is when it is newer than every source of the build, else a fresh `vite build`. */
async function ensureBuilt(ctx: BenchContext): Promise<{ rebuilt: boolean }> {
  const { root } = ctx;
  // The service worker is written last (vite-plugin-pwa runs after the bundle): its time is the build's.
  const built = existsSync(join(root, 'dist/sw.js')) ? statSync(join(root, 'dist/sw.js')).mtimeMs : 0;
  // What the app bundles (src/server and src/cli are not in it).
  const sources = ['index.html', 'vite.config.ts', 'package.json', 'src/ui', 'src/core', 'workers', 'public'];
  const newest = Math.max(...sources.map((s) => newestMtime(join(root, s))));
  if (built > newest) return { rebuilt: false };
  ctx.log(built ? 'dist/ is older than its sources: vite build' : 'no dist/: vite build');
  await run(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build'], root, ctx.signal);
  return { rebuilt: true };
}

// ---------------------------------------------------------------------------------------------------------
// Bytes on the wire

type Category = 'app' | 'wasm' | 'model' | 'codebook' | 'other';
const CATEGORIES: Record<Category, string> = {
  app: 'document/JS/CSS',
  wasm: 'wasm',
  model: 'model',
  codebook: 'codebook',
  other: 'other',
};

function categorize(url: string, resourceType: string): Category {
  const path = new URL(url).pathname;
  if (path.endsWith('.wasm')) return 'wasm';
  if (path.startsWith('/models/') || /^\/dev-fixture\/extractor\./.test(path)) return 'model';
  if (path === '/api/codebook' || path.endsWith('/codebook.json')) return 'codebook';
  if (resourceType === 'document' || /\.(m?js|css|html)$/.test(path)) return 'app';
  return 'other';
}

interface Transfer {
  url: string;
  category: Category;
  /** The page (with its dedicated worker: Playwright does not tell them apart) or the service worker. */
  by: 'page' | 'service-worker';
  status: number;
  startTime: number;
  acceptEncoding: string;
  headerBytes: number;
  bodyBytes: number;
  /** The body size came from the server (see NetworkLog.settle), not from Chromium. */
  corrected?: boolean;
}

/** Status line, headers and blank line of a Node response, as they went over the wire. */
function headerBytes(res: IncomingMessage): number {
  let n = `HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\n\r\n`.length;
  for (let i = 0; i < res.rawHeaders.length; i += 2) n += `${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`.length;
  return n;
}

/** What the server sends for `url` with this Accept-Encoding: header and (still encoded) body bytes. */
function wireSize(url: string, acceptEncoding: string): Promise<{ headerBytes: number; bodyBytes: number }> {
  return new Promise((resolve, reject) => {
    httpGet(url, { headers: { 'accept-encoding': acceptEncoding } }, (res) => {
      let bodyBytes = 0;
      res.on('data', (chunk: Buffer) => {
        bodyBytes += chunk.length;
      });
      res.on('end', () => resolve({ headerBytes: headerBytes(res), bodyBytes }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** Records every network response of a context (not those answered by the service worker) and its bytes. */
class NetworkLog {
  private transfers: Transfer[] = [];
  private failed = 0;
  private inFlight = 0;
  private lastChange = Date.now();
  private pending: Promise<void>[] = [];

  constructor(context: BrowserContext) {
    context.on('request', () => {
      this.inFlight++;
      this.lastChange = Date.now();
    });
    context.on('requestfailed', () => {
      // Seen here: a 304 whose body the app never reads (the codebook revalidation) ends as ERR_ABORTED.
      this.failed++;
      this.inFlight--;
      this.lastChange = Date.now();
    });
    context.on('requestfinished', (request) => {
      this.inFlight--;
      this.lastChange = Date.now();
      this.pending.push(
        (async () => {
          const response = await request.response();
          if (!response || response.fromServiceWorker()) return;
          const sizes = await request.sizes();
          this.transfers.push({
            url: request.url(),
            category: categorize(request.url(), request.resourceType()),
            by: request.serviceWorker() ? 'service-worker' : 'page',
            status: response.status(),
            startTime: request.timing().startTime,
            acceptEncoding: (await request.allHeaders())['accept-encoding'] ?? '',
            headerBytes: sizes.responseHeadersSize,
            bodyBytes: sizes.responseBodySize,
          });
        })().catch(() => undefined),
      );
    });
  }

  /** Waits until nothing has been in flight for IDLE_MS, then for the size look-ups. */
  async idle(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(this.inFlight <= 0 && Date.now() - this.lastChange >= IDLE_MS)) {
      if (Date.now() > deadline) throw new Error(`network not idle after ${timeoutMs} ms (${this.inFlight} in flight)`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await Promise.all(this.pending.splice(0));
  }

  /**
   * Takes the transfers so far (and forgets them). Chromium reports only the headers of scripts that the
   * browser process loads for a worker (the dedicated worker's script, sw.js and its importScripts):
   * their encodedDataLength lacks the body. So the FIRST response for a URL in a visit that reports a 200
   * with an empty body (it cannot have come from the HTTP cache: nothing fetched it before in this visit,
   * and a first visit starts with an empty profile) gets the body size the server sends for the same
   * request. Later empty 200s of the same URL are HTTP cache hits and stay at zero.
   */
  async settle(): Promise<{ transfers: Transfer[]; failed: number }> {
    const transfers = this.transfers.splice(0).sort((a, b) => a.startTime - b.startTime);
    const failed = this.failed;
    this.failed = 0;
    // Those script requests do not show their Accept-Encoding either: use what the page's requests sent.
    const usual = transfers.find((t) => t.acceptEncoding)?.acceptEncoding ?? 'gzip, deflate, br, zstd';
    const seen = new Set<string>();
    for (const t of transfers) {
      const first = !seen.has(t.url);
      seen.add(t.url);
      if (!first || t.status !== 200 || t.bodyBytes > 0) continue;
      const wire = await wireSize(t.url, t.acceptEncoding || usual);
      t.bodyBytes = wire.bodyBytes;
      t.headerBytes ||= wire.headerBytes;
      t.corrected = true;
    }
    return { transfers, failed };
  }
}

const bytesOf = (t: Transfer) => t.headerBytes + t.bodyBytes;

function byteRecords(
  name: string,
  { transfers, failed }: { transfers: Transfer[]; failed: number },
  params: BenchRecord['params'],
): BenchRecord[] {
  const records: BenchRecord[] = [];
  const sum = (ts: Transfer[]) => ts.reduce((s, t) => s + bytesOf(t), 0);
  const total = sum(transfers);
  const corrected = transfers.filter((t) => t.corrected);
  records.push({
    suite: SUITE,
    name: `${name}-bytes`,
    value: total / 1e6,
    unit: 'MB',
    params: {
      ...params,
      bytes: total,
      responses: transfers.length,
      pageBytes: sum(transfers.filter((t) => t.by === 'page')),
      serviceWorkerBytes: sum(transfers.filter((t) => t.by === 'service-worker')),
      bodiesFromServer: corrected.length,
      bodiesFromServerBytes: corrected.reduce((s, t) => s + t.bodyBytes, 0),
      failedRequests: failed,
    },
  });
  for (const [category, label] of Object.entries(CATEGORIES) as [Category, string][]) {
    const mine = transfers.filter((t) => t.category === category);
    records.push({
      suite: SUITE,
      name: `${name}-bytes-${category}`,
      value: sum(mine) / 1e6,
      unit: 'MB',
      params: { what: label, bytes: sum(mine), responses: mine.length },
    });
  }
  return records;
}

/** One line per response for the log: who, bytes, path. */
function transferLines(transfers: Transfer[]): string[] {
  return transfers.map(
    (t) =>
      `${t.by === 'page' ? 'page' : 'sw  '} ${String(bytesOf(t)).padStart(9)} ${t.corrected ? '*' : ' '} ${new URL(t.url).pathname}`,
  );
}

// ---------------------------------------------------------------------------------------------------------
// Readiness and paint timings

interface PageTimings {
  dropReadyMs: number;
  engineReadyMs: number;
  fcpMs: number | null;
  lcpMs: number | null;
  domContentLoadedMs: number;
  loadMs: number;
  backend: string;
}

/** Navigates and waits for the app's readiness marks; all times from navigation start. */
async function visit(page: Page, url: string): Promise<PageTimings> {
  await page.goto(url);
  await page.locator('html[data-engine-ready="true"]').waitFor({ state: 'attached', timeout: READY_TIMEOUT_MS });
  // No named functions inside: tsx would wrap them in a __name() helper that the page does not have.
  return page.evaluate(async () => {
    const [dropReady, engineReady] = ['dropReady', 'engineReady'].map(
      (name) => performance.getEntriesByName(`findable:${name}`, 'mark')[0]?.startTime ?? NaN,
    );
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    // LCP is only reported to observers; `buffered` replays the candidates so far (the last one counts).
    const lcp = await new Promise<number | null>((resolve) => {
      new PerformanceObserver((list) => {
        const entries = list.getEntries();
        resolve(entries.at(-1)?.startTime ?? null);
      }).observe({ type: 'largest-contentful-paint', buffered: true });
      setTimeout(() => resolve(null), 1000);
    });
    return {
      dropReadyMs: dropReady,
      engineReadyMs: engineReady,
      fcpMs: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null,
      lcpMs: lcp,
      domContentLoadedMs: nav?.domContentLoadedEventEnd ?? NaN,
      loadMs: nav?.loadEventEnd ?? NaN,
      backend: document.querySelector('[data-testid="backend"]')?.getAttribute('data-backend') ?? 'unknown',
    };
  });
}

function timingRecords(name: string, t: PageTimings, params: BenchRecord['params']): BenchRecord[] {
  const rec = (what: string, value: number | null, extra: BenchRecord['params'] = {}): BenchRecord => ({
    suite: SUITE,
    name: `${name}-${what}`,
    value: value ?? NaN,
    unit: 'ms',
    params: { ...params, ...extra },
  });
  return [
    rec('interactive', t.dropReadyMs, {
      signal: 'drop zone listening (findable:dropReady)',
      domContentLoadedMs: Math.round(t.domContentLoadedMs),
      loadMs: Math.round(t.loadMs),
    }),
    rec('engine-ready', t.engineReadyMs, { signal: 'model loaded, sessions warm (findable:engineReady)' }),
    rec('fcp', t.fcpMs),
    rec('lcp', t.lcpMs),
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Activation through the UI

interface AdapterInfo {
  available: boolean;
  fallback: boolean;
  description: string;
}

/** What WebGPU adapter Chromium offers with --enable-unsafe-webgpu (needs a secure context: the server). */
async function probeWebGpu(base: string): Promise<AdapterInfo> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, '--enable-unsafe-webgpu'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`${base}/api/health`);
    return await page.evaluate(async () => {
      const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      const adapter = (await gpu?.requestAdapter().catch(() => null)) as {
        info?: { vendor: string; architecture: string; description: string; isFallbackAdapter?: boolean };
        isFallbackAdapter?: boolean;
      } | null;
      if (!adapter) return { available: false, fallback: false, description: 'no adapter' };
      const info = adapter.info;
      return {
        available: true,
        fallback: Boolean(info?.isFallbackAdapter ?? adapter.isFallbackAdapter),
        description: [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || 'unknown',
      };
    });
  } finally {
    await browser.close();
  }
}

async function photo1024(corpusDir: string): Promise<TestFile | null> {
  const path = join(corpusDir, 'photos', PHOTO);
  if (!existsSync(path)) return null;
  // Cropped (cover), not stretched: the working resolution and the JND map see a real 4:3 photo.
  const bytes = await sharp(path).resize(SIZE.w, SIZE.h, { fit: 'cover' }).jpeg({ quality: 92 }).toBuffer();
  return { name: PHOTO, type: 'image/jpeg', bytes };
}

interface Activation {
  totalMs: number;
  wallMs: number;
  backend: string;
  timings: Record<string, number>;
}

async function activateRuns(
  browser: Browser,
  base: string,
  backend: 'wasm' | 'webgpu',
  photo: TestFile,
  reps: number,
  ctx: BenchContext,
): Promise<Activation[]> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await visit(page, `${base}/?backend=${backend}`);
    await page.locator('summary', { hasText: 'Settings' }).click();
    await page.getByTestId('steps').fill(String(STEPS));
    const runs: Activation[] = [];
    for (let i = 0; i < reps; i++) {
      ctx.signal?.throwIfAborted();
      const name = `photo-${i + 1}.jpg`;
      const row = page.locator(`[data-testid="queue-row"][data-name="${name}"]`);
      const t0 = performance.now();
      await dropFiles(page, [{ ...photo, name }]);
      await row.and(page.locator('[data-status="done"], [data-status="error"]')).waitFor({
        timeout: ACTIVATE_TIMEOUT_MS,
      });
      const wallMs = performance.now() - t0;
      if ((await row.getAttribute('data-status')) !== 'done') {
        throw new Error(`${name} failed on ${backend}: ${await row.getAttribute('data-error-code')}`);
      }
      const a: Activation = {
        totalMs: Number(await row.getAttribute('data-total-ms')),
        wallMs,
        backend: (await row.getAttribute('data-backend')) ?? 'unknown',
        timings: JSON.parse((await row.getAttribute('data-timings')) ?? '{}') as Record<string, number>,
      };
      const stages = Object.entries(a.timings)
        .map(([k, v]) => `${k} ${v.toFixed(0)}`)
        .join(', ');
      ctx.log(
        `  ${backend} #${i + 1}: ${a.totalMs.toFixed(0)} ms in the worker (${a.wallMs.toFixed(0)} ms wall; ${stages})`,
      );
      runs.push(a);
    }
    return runs;
  } finally {
    await context.close();
  }
}

function activationRecord(
  runs: Activation[],
  requested: 'wasm' | 'webgpu',
  params: BenchRecord['params'],
): BenchRecord {
  const timing = summarize(runs.map((r) => r.totalMs));
  const median = (xs: number[]) => summarize(xs).medianMs;
  const stages: Record<string, number> = {};
  for (const stage of Object.keys(runs[0].timings)) {
    stages[`${stage}Ms`] = Math.round(median(runs.map((r) => r.timings[stage] ?? NaN)));
  }
  return {
    suite: SUITE,
    name: `activate-${SIZE.w}x${SIZE.h}-${requested}`,
    value: timing.medianMs,
    unit: 'ms',
    timing,
    params: {
      ...params,
      // What the worker computed on (a WebGPU failure falls back to wasm).
      backend: [...new Set(runs.map((r) => r.backend))].join('/'),
      steps: STEPS,
      photo: `${PHOTO} cropped to ${SIZE.w}x${SIZE.h}`,
      wallMedianMs: Math.round(median(runs.map((r) => r.wallMs))),
      // In order: a slow first run (one-time costs of the first job) shows here.
      runsMs: runs.map((r) => Math.round(r.totalMs)).join('/'),
      ...stages,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------

export const suite: BenchSuite = {
  name: SUITE,
  description: 'the built app in Chromium: first-visit bytes, time to interactive, 1024x768 activation (issue 7)',
  async run(ctx) {
    const { rebuilt } = await ensureBuilt(ctx);
    const work = mkdtempSync(join(tmpdir(), 'findable-bench-browser-'));
    let server: FindableServer | null = null;
    let browser: Browser | null = null;
    const records: BenchRecord[] = [];
    try {
      // Served from a private copy: a rebuild of dist/ by another job must not empty it mid-run.
      const dist = snapshotDist(join(work, 'dist'), join(ctx.root, 'dist'));
      server = await startFindable({ data: join(work, 'data'), dist, signal: ctx.signal });
      browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
      const common = { chromium: browser.version(), distRebuilt: rebuilt };

      // First visit in a fresh context (empty HTTP cache, no service worker, no Cache Storage), then a
      // repeat visit in the same context.
      ctx.log('first visit');
      const context = await browser.newContext();
      const net = new NetworkLog(context);
      const page = await context.newPage();
      const first = await visit(page, `${server.base}/`);
      await page.locator('html[data-offline-ready="true"]').waitFor({ state: 'attached', timeout: READY_TIMEOUT_MS });
      await net.idle();
      const firstTransfers = await net.settle();
      for (const line of transferLines(firstTransfers.transfers)) ctx.log(`  ${line}`);
      ctx.log('repeat visit');
      const again = await visit(page, `${server.base}/`);
      await net.idle();
      const againTransfers = await net.settle();
      for (const line of transferLines(againTransfers.transfers)) ctx.log(`  ${line}`);
      await context.close();
      const visitParams = { ...common, backend: first.backend };
      records.push(...byteRecords('first-visit', firstTransfers, visitParams));
      records.push(...timingRecords('first-visit', first, visitParams));
      records.push(...byteRecords('repeat-visit', againTransfers, visitParams));
      records.push(...timingRecords('repeat-visit', again, visitParams));

      const photo = await photo1024(ctx.corpusDir);
      if (!photo) {
        ctx.log(`no ${join(ctx.corpusDir, 'photos', PHOTO)}: the activation is skipped`);
        return records;
      }
      const reps = ctx.quick ? 1 : 3;
      ctx.log(`activation ${SIZE.w}x${SIZE.h}, ${STEPS} steps, wasm, ${reps}x`);
      const wasm = await activateRuns(browser, server.base, 'wasm', photo, reps, ctx);
      records.push(activationRecord(wasm, 'wasm', { ...common, reps }));

      const adapter = await probeWebGpu(server.base);
      if (adapter.available && !adapter.fallback) {
        ctx.log(`activation on WebGPU (${adapter.description}), ${reps}x`);
        const gpuBrowser = await chromium.launch({
          executablePath: CHROMIUM_PATH,
          args: [...CHROMIUM_ARGS, '--enable-unsafe-webgpu'],
        });
        try {
          const gpu = await activateRuns(gpuBrowser, server.base, 'webgpu', photo, reps, ctx);
          records.push(activationRecord(gpu, 'webgpu', { ...common, reps, adapter: adapter.description }));
        } finally {
          await gpuBrowser.close();
        }
      } else {
        const reason = adapter.available
          ? `only a fallback (software) WebGPU adapter: ${adapter.description}`
          : 'no WebGPU adapter';
        ctx.log(`WebGPU activation skipped: ${reason}`);
        records.push({
          suite: SUITE,
          name: `activate-${SIZE.w}x${SIZE.h}-webgpu`,
          value: NaN,
          unit: 'ms',
          params: { ...common, skipped: true, reason },
        });
      }
      return records;
    } finally {
      await browser?.close();
      await server?.stop();
      rmSync(work, { recursive: true, force: true });
    }
  },
};
