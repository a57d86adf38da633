/**
 * `npm run bench -- step`: cost of one activation step (src/core/activation/step-graph.ts) with the shipped
 * extractor, at working resolution 512x384 and 1024x768.
 *
 *   onnxruntime-node (CPU, 2 intra-op threads), one child process per measured configuration so that each
 *   peak RSS (ru_maxrss) belongs to that configuration alone:
 *     - forward-224: the extractor alone, batch 1, 224x224 input;
 *     - forward-<side>: the step graph's forward part alone (perturbation, un-normalisation, the two resize
 *       MatMuls, extractor, loss), so that step / forward compares like with like (target < 3.5x);
 *     - step-<side>: one step-graph run (forward + gradient + Adam). This child reads its peak RSS with the
 *       step session alone, then adds a forward session and alternates turns of forward and step runs (the
 *       last of 3 runs per turn is timed, once the other session's spinning threads have gone idle): both
 *       timings (and so the ratio) come from those alternating turns, robust to load drift on a shared machine;
 *     - activate: one full activatePhoto (10 steps, plus extract / JND / compose / measure) of a corpus
 *       photo resized to 1024x768 with the default settings (target <= 3000 ms, issue 5); in full mode also
 *       optimised at working resolution 1024, and an 8000x6000 (48 MP) photo for its peak RSS.
 *   Chromium (Debian's /usr/bin/chromium, headless, Playwright) with onnxruntime-web's wasm backend, ONE
 *   thread: the bench page (e2e/harness/ort-page.ts) is not cross-origin isolated, so no SharedArrayBuffer
 *   and no wasm threads. Same forward / step graphs and feeds; ms per run, performance.memory (JS heap) and
 *   the renderer process's peak RSS (VmHWM, which includes the wasm heap).
 *
 * Quick mode (FINDABLE_BENCH_QUICK=1): 512 only, fewer repetitions, only the default-settings activation.
 * The extractor is public/models/extractor.onnx (sha256 checked against its manifest); for development
 * before it exists, FINDABLE_BENCH_EXTRACTOR=path/to/extractor.onnx uses another [N,3,S,S] -> [N,D] model.
 * The quantizer is public/codebook.json when it exists, else an IVF64,PQ8x8 trained on random unit vectors
 * (the target only changes the loss value, not the cost).
 *
 * Run as a script (`node bin/run-ts.mjs bench/suites/step.bench.ts --child '<json>'`) it is the child.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Ort from 'onnxruntime-node';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../e2e/chromium.ts';
import { activatePhoto } from '../../src/core/activation/engine.ts';
import { readExtractor } from '../../src/core/activation/runtime.node.ts';
import type { ActivationRuntime } from '../../src/core/activation/runtime.ts';
import {
  buildForwardGraph,
  buildStepGraph,
  extractorIo,
  FORWARD_INPUTS,
  STEP_FETCH,
} from '../../src/core/activation/step-graph.ts';
import { plainViews } from '../../src/core/activation/views.ts';
import { parseCodebook } from '../../src/core/codebook/parse.ts';
import { indexFromCodebook } from '../../src/core/codebook/to-index.ts';
import { resizeRgb } from '../../src/core/image/resize.ts';
import type { RgbImage } from '../../src/core/image/types.ts';
import { indexFactory } from '../../src/core/index/index.ts';
import type { IvfTrainOptions } from '../../src/core/index/index-ivf.ts';
import { Mt19937 } from '../../src/core/index/rng.ts';
import { loadModel, saveModel } from '../../src/core/onnx/proto-io.ts';
import { measure, summarize, type Timing } from '../measure.ts';
import type { BenchContext, BenchRecord, BenchSuite } from '../suite.ts';

const SUITE = 'step';
const THIS_FILE = fileURLToPath(import.meta.url);
const ROOT = resolve(dirname(THIS_FILE), '../..');
const MANIFEST = join(ROOT, 'public/models/extractor.json');
const CODEBOOK = join(ROOT, 'public/codebook.json');
/** Working resolutions (landscape 4:3): long side 512 and 1024. */
const SIZES: Record<number, { w: number; h: number }> = { 512: { w: 512, h: 384 }, 1024: { w: 1024, h: 768 } };
/** onnxruntime-node intra-op threads (this machine's cores); FINDABLE_BENCH_THREADS overrides. */
const THREADS = Number(process.env.FINDABLE_BENCH_THREADS ?? 2);
const STEP_RATIO_TARGET = 3.5;
const ACTIVATE_TARGET_MS = 3000;

// ---------------------------------------------------------------------------------------------------------
// Graphs and feeds (shared by the node children and the Chromium run)

interface ExtractorSource {
  bytes: Uint8Array;
  label: string;
  sha256: string;
}

function extractorSource(): ExtractorSource | undefined {
  const override = process.env.FINDABLE_BENCH_EXTRACTOR;
  if (!override && !existsSync(MANIFEST)) return undefined;
  // readExtractor checks the shipped model against its manifest's sha256.
  const bytes = override ? new Uint8Array(readFileSync(resolve(override))) : readExtractor(MANIFEST).bytes;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const label = override ? `${resolve(override)} (FINDABLE_BENCH_EXTRACTOR)` : 'public/models/extractor.onnx';
  return { bytes, label, sha256 };
}

interface PackedFeed {
  dims: number[];
  data: Float32Array;
}

/** Deterministic feeds for one step at w x h: a mid-optimisation state (delta ~ N(0, 0.3), nonzero moments). */
function stepFeeds(w: number, h: number, size: number, dim: number): Record<string, PackedFeed> {
  const rng = new Mt19937(7);
  const hw = w * h;
  const img = [1, 3, h, w];
  const fill = (n: number, f: () => number) => Float32Array.from({ length: n }, f);
  const views = plainViews(h, w, size);
  const target = fill(dim, () => rng.randn());
  const norm = Math.hypot(...target);
  for (let i = 0; i < dim; i++) target[i] /= norm;
  return {
    delta: { dims: img, data: fill(3 * hw, () => 0.3 * rng.randn()) },
    adam_m: { dims: img, data: fill(3 * hw, () => 1e-3 * rng.randn()) },
    adam_v: { dims: img, data: fill(3 * hw, () => 1e-6 * rng.randFloat()) },
    step: { dims: [1], data: Float32Array.of(3) },
    lr: { dims: [1], data: Float32Array.of(1) },
    x_orig: { dims: img, data: fill(3 * hw, () => 2 * rng.randFloat() - 1) },
    jnd: { dims: [1, 1, h, w], data: fill(hw, () => 0.02 * rng.randFloat()) },
    resize_rows: { dims: [views.count, size, h], data: views.rows },
    resize_cols: { dims: [views.count, size, w], data: views.cols },
    view_color: { dims: [views.count, 3, 3], data: views.color },
    view_mean: { dims: [views.count, 3, 3], data: views.mean },
    view_weight: { dims: [views.count], data: views.weight },
    target: { dims: [1, dim], data: target },
    alpha: { dims: [1], data: Float32Array.of(3) },
    lambda_f: { dims: [1], data: Float32Array.of(1) },
    lambda_i: { dims: [1], data: Float32Array.of(0.01) },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Child process (onnxruntime-node)

type ChildConfig =
  | { kind: 'forward224' | 'forward' | 'step'; side: number; quick: boolean }
  | {
      kind: 'activate';
      /** Photo size; the working resolution is the default settings' (long side 512) unless `workingSide`. */
      photo: { w: number; h: number };
      workingSide?: number;
      /** Repetitions: one (no warm-up) for the very large photo. */
      once?: boolean;
      side: number;
      quick: boolean;
      corpusDir: string;
    };

interface ChildResult {
  timing: Timing;
  /** Step child only: the forward-only graph, timed in alternation with the step. */
  forwardTiming?: Timing;
  /** ru_maxrss before the session was created (model bytes and graphs in JS memory), MiB. */
  baselineRssMiB: number;
  peakRssMiB: number;
  params?: Record<string, string | number | boolean>;
}

function maxRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

async function newSession(ort: typeof Ort, bytes: Uint8Array): Promise<Ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: THREADS,
    interOpNumThreads: 1,
  });
}

function repetitions(quick: boolean, slow: boolean) {
  if (quick) return { warmup: 1, minIterations: slow ? 1 : 3, maxIterations: slow ? 1 : 5, minTimeMs: 0 };
  return { warmup: slow ? 1 : 2, minIterations: slow ? 3 : 10, maxIterations: slow ? 5 : 50, minTimeMs: 5000 };
}

interface Quantizer {
  d: number;
  encode(x: Float32Array, n: number): Uint8Array;
  activationTarget(x: Float32Array, n: number): Float32Array;
  label: string;
}

function benchQuantizer(dim: number): Quantizer {
  if (existsSync(CODEBOOK)) {
    const cb = parseCodebook(readFileSync(CODEBOOK, 'utf8'));
    if (cb.d === dim) {
      const index = indexFromCodebook(cb);
      return {
        d: dim,
        label: `public/codebook.json (${cb.factory})`,
        encode: (x, n) => index.encode(x, n),
        activationTarget: (x, n) => index.activationTarget(x, n),
      };
    }
  }
  const n = 2048;
  const rng = new Mt19937(11);
  const x = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += (x[i * dim + j] = rng.randn()) ** 2;
    for (let j = 0; j < dim; j++) x[i * dim + j] /= Math.sqrt(s);
  }
  const index = indexFactory(dim, 'IVF64,PQ8x8');
  const opts: IvfTrainOptions = { niter: 5, pqNiter: 5, seed: 1 };
  index.train(x, n, opts);
  return {
    d: dim,
    label: 'IVF64,PQ8x8 trained on 2048 random unit vectors (public/codebook.json absent; timing only)',
    encode: (v, k) => index.encode(v, k),
    activationTarget: (v, k) => index.activationTarget(v, k),
  };
}

function pickPhoto(corpusDir: string): string {
  const dir = join(corpusDir, 'photos');
  const files = readdirSync(dir)
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort();
  if (files.length === 0) throw new Error(`no photos in ${dir}`);
  return join(dir, files[0]);
}

/** The largest centred crop with the given aspect ratio (width / height). */
function centreCrop(img: RgbImage, aspect: number): RgbImage {
  const cw = Math.min(img.width, Math.round(img.height * aspect));
  const ch = Math.min(img.height, Math.round(img.width / aspect));
  const x0 = (img.width - cw) >> 1;
  const y0 = (img.height - ch) >> 1;
  const data = new Uint8Array(cw * ch * 3);
  for (let y = 0; y < ch; y++) {
    const from = ((y0 + y) * img.width + x0) * 3;
    data.set(img.data.subarray(from, from + cw * 3), y * cw * 3);
  }
  return { width: cw, height: ch, data };
}

async function runChild(cfg: ChildConfig): Promise<ChildResult> {
  const ort = await import('onnxruntime-node');
  const src = extractorSource();
  if (!src) throw new Error('no extractor');
  const extractor = loadModel(src.bytes);
  const io = extractorIo(extractor);
  const { w, h } = SIZES[cfg.side];

  if (cfg.kind === 'activate') {
    const { decodeImage } = await import('../../src/core/image/decode.node.ts');
    const photoPath = pickPhoto(cfg.corpusDir);
    const decoded = await decodeImage(new Uint8Array(readFileSync(photoPath)));
    const { w: pw, h: ph } = cfg.photo;
    const photo = resizeRgb(centreCrop(decoded, pw / ph), pw, ph);
    const quantizer = benchQuantizer(io.dim);
    const stepBytes = saveModel(buildStepGraph(extractor));
    const baselineRssMiB = maxRssMiB();
    const featureSession = await newSession(ort, src.bytes);
    const stepSession = await newSession(ort, stepBytes);
    const rt: ActivationRuntime = { ort, featureSession, stepSession, size: io.size, dim: io.dim };
    const stages: Record<string, number[]> = {};
    let gain = '';
    const timing = await measure(
      async () => {
        const settings = cfg.workingSide ? { maxWorkingSide: cfg.workingSide } : {};
        const r = await activatePhoto(rt, photo, quantizer, settings, { skipSsim: false });
        for (const [k, v] of Object.entries(r.timings)) (stages[k] ??= []).push(v);
        gain = `${r.gain.cosineBefore.toFixed(3)} -> ${r.gain.cosineAfter.toFixed(3)}, PSNR ${r.psnr.toFixed(1)} dB, SSIM ${r.ssim?.toFixed(4)}, working ${r.working.width}x${r.working.height}`;
      },
      cfg.once ? { warmup: 0, minIterations: 1, maxIterations: 1, minTimeMs: 0 } : repetitions(cfg.quick, true),
    );
    const params: Record<string, string | number | boolean> = {
      photo: `${photoPath.split('/').pop()} centre-cropped to 4:3 and resized to ${pw}x${ph}`,
      quantizer: quantizer.label,
      'cosine to target': gain,
    };
    for (const [k, v] of Object.entries(stages)) params[`${k} ms`] = Math.round(summarize(v.slice(1)).medianMs || v[0]);
    return { timing, baselineRssMiB, peakRssMiB: maxRssMiB(), params };
  }

  if (cfg.kind === 'forward224') {
    const rng = new Mt19937(3);
    const x = Float32Array.from({ length: 3 * io.size * io.size }, () => rng.randFloat());
    const feeds = { [io.input]: new ort.Tensor('float32', x, [1, 3, io.size, io.size]) };
    const baselineRssMiB = maxRssMiB();
    const session = await newSession(ort, src.bytes);
    const timing = await measure(() => session.run(feeds), repetitions(cfg.quick, false));
    return { timing, baselineRssMiB, peakRssMiB: maxRssMiB() };
  }

  const packed = stepFeeds(w, h, io.size, io.dim);
  const feeds: Record<string, Ort.Tensor> = {};
  for (const [k, f] of Object.entries(packed)) feeds[k] = new ort.Tensor('float32', f.data, f.dims);
  const forwardFeeds = Object.fromEntries(FORWARD_INPUTS.map((k) => [k, feeds[k]]));
  const forwardBytes = saveModel(buildForwardGraph(extractor));
  const reps = repetitions(cfg.quick, false);
  if (cfg.kind === 'forward') {
    // Only for the forward-only peak RSS; its timing comes from the interleaved runs of the step child.
    const baselineRssMiB = maxRssMiB();
    const session = await newSession(ort, forwardBytes);
    const timing = await measure(() => session.run(forwardFeeds), { ...reps, minTimeMs: 0, minIterations: 1 });
    return { timing, baselineRssMiB, peakRssMiB: maxRssMiB() };
  }
  // Step: the peak RSS with the step session alone (after warm-up runs), then a forward session is added and
  // forward and step runs alternate, so that load drift on a shared machine hits both timings alike.
  const stepBytes = saveModel(buildStepGraph(extractor));
  const baselineRssMiB = maxRssMiB();
  const step = await newSession(ort, stepBytes);
  for (let i = 0; i < reps.warmup; i++) await step.run(feeds, STEP_FETCH);
  const peakRssMiB = maxRssMiB();
  const forward = await newSession(ort, forwardBytes);
  for (let i = 0; i < reps.warmup; i++) await forward.run(forwardFeeds);
  const samples = { step: [] as number[], forward: [] as number[] };
  const t0 = performance.now();
  while (
    samples.step.length < reps.maxIterations &&
    (samples.step.length < reps.minIterations || performance.now() - t0 < reps.minTimeMs)
  ) {
    // Each turn runs one graph RUNS_PER_TURN times and keeps the last time: after a run, the idle session's
    // intra-op threads keep spinning for a while and take the cores from the other session's next run
    // (measured: forward 48 ms alternating one-by-one vs 21 ms in turns of three, 16 ms alone).
    samples.forward.push(await lastOfTurn(() => forward.run(forwardFeeds)));
    samples.step.push(await lastOfTurn(() => step.run(feeds, STEP_FETCH)));
  }
  return {
    timing: summarize(samples.step),
    forwardTiming: summarize(samples.forward),
    baselineRssMiB,
    peakRssMiB,
  };
}

/** Runs per graph per alternation turn in the step child; only the last one is timed. */
const RUNS_PER_TURN = 3;

async function lastOfTurn(run: () => Promise<unknown>): Promise<number> {
  let ms = 0;
  for (let i = 0; i < RUNS_PER_TURN; i++) {
    const t = performance.now();
    await run();
    ms = performance.now() - t;
  }
  return ms;
}

function spawnChild(cfg: ChildConfig, log: (m: string) => void): Promise<ChildResult> {
  return new Promise((resolveResult, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/run-ts.mjs'), THIS_FILE, '--child', JSON.stringify(cfg)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolveResult(JSON.parse(line.slice(7)) as ChildResult);
      else {
        log(`child ${JSON.stringify(cfg)} failed (exit ${code}): ${err.trim().slice(-2000)}`);
        reject(new Error(`step bench child ${cfg.kind}-${cfg.side} failed (exit ${code})`));
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Chromium, onnxruntime-web wasm (single thread)

interface BrowserRun {
  timing: Timing;
  jsHeapUsedMiB?: number;
  jsHeapTotalMiB?: number;
}

interface BrowserResult {
  runs: Record<string, BrowserRun>;
  crossOriginIsolated: boolean;
  rendererPeakRssMiB?: number;
  userAgent: string;
}

/**
 * Peak RSS (VmHWM, Linux) of the Chromium renderer processes started by this process's browser (Playwright
 * spawns the browser as our child), MiB (the largest renderer).
 */
function rendererPeakRss(): number | undefined {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(d));
      children.set(ppid, list);
    } catch {
      // process exited
    }
  }
  let best: number | undefined;
  const stack = [process.pid];
  while (stack.length) {
    const pid = stack.pop() as number;
    stack.push(...(children.get(pid) ?? []));
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) continue;
      const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
      if (m) best = Math.max(best ?? 0, Number(m[1]) / 1024);
    } catch {
      // process exited
    }
  }
  return best;
}

async function runChromium(src: ExtractorSource, sides: number[], quick: boolean): Promise<BrowserResult> {
  const { chromium } = await import('@playwright/test');
  const { openOrtPage, ORT_ORIGIN } = await import('../../e2e/harness/ort-page.ts');
  const extractor = loadModel(src.bytes);
  const io = extractorIo(extractor);
  const blobs = new Map<string, Uint8Array>();
  blobs.set('step.onnx', saveModel(buildStepGraph(extractor)));
  blobs.set('forward.onnx', saveModel(buildForwardGraph(extractor)));
  const feedIndex: Record<number, Record<string, { dims: number[]; offset: number; length: number }>> = {};
  for (const side of sides) {
    const { w, h } = SIZES[side];
    const packed = stepFeeds(w, h, io.size, io.dim);
    const total = Object.values(packed).reduce((s, f) => s + f.data.length, 0);
    const all = new Float32Array(total);
    let off = 0;
    feedIndex[side] = {};
    for (const [k, f] of Object.entries(packed)) {
      all.set(f.data, off);
      feedIndex[side][k] = { dims: f.dims, offset: off, length: f.data.length };
      off += f.data.length;
    }
    blobs.set(`feeds-${side}.bin`, new Uint8Array(all.buffer));
  }

  // Playwright gives the browser a fresh temporary profile (it refuses --user-data-dir in args).
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
  });
  try {
    const page = await browser.newPage();
    const consoleLines = await openOrtPage(page);
    // Registered after the harness's catch-all route, so it takes precedence for /bench/*.
    await page.route(`${ORT_ORIGIN}/bench/**`, async (route) => {
      const name = new URL(route.request().url()).pathname.slice('/bench/'.length);
      const body = blobs.get(name);
      if (!body) return route.fulfill({ status: 404, body: 'not found' });
      return route.fulfill({ contentType: 'application/octet-stream', body: Buffer.from(body) });
    });
    const reps = quick ? { warmup: 2, n: 3 } : { warmup: 3, n: 10 };
    const result = await page.evaluate(
      async ({ sides, feedIndex, reps, fetchNames, forwardInputs }) => {
        // biome-ignore lint/suspicious/noExplicitAny: onnxruntime-web is loaded as a plain module here.
        const ort: any = await import('/ort/ort.wasm.min.mjs' as string);
        ort.env.wasm.wasmPaths = '/ort/';
        ort.env.wasm.numThreads = 1;
        ort.env.wasm.proxy = false;
        // No local function declarations in here: tsx (esbuild keepNames) would wrap them in a __name() helper
        // that does not exist in the page.
        const runs: Record<string, { samples: number[]; jsHeapUsedMiB?: number; jsHeapTotalMiB?: number }> = {};
        // Both sessions live together; per size, both are warmed up (V8 first runs wasm as baseline code and
        // tiers up to optimised code in the background), then forward and step runs alternate so that load
        // drift on a shared machine hits both alike.
        // biome-ignore lint/suspicious/noExplicitAny: ort sessions
        const sessions: Record<string, any> = {};
        for (const graph of ['forward', 'step']) {
          const bytes = new Uint8Array(await (await fetch(`/bench/${graph}.onnx`)).arrayBuffer());
          sessions[graph] = await ort.InferenceSession.create(bytes, {
            executionProviders: ['wasm'],
            graphOptimizationLevel: 'all',
          });
        }
        for (const side of sides) {
          const all = new Float32Array(await (await fetch(`/bench/feeds-${side}.bin`)).arrayBuffer());
          // biome-ignore lint/suspicious/noExplicitAny: ort tensors
          const feeds: Record<string, Record<string, any>> = { forward: {}, step: {} };
          for (const [k, f] of Object.entries(feedIndex[side])) {
            const t = new ort.Tensor('float32', all.slice(f.offset, f.offset + f.length), f.dims);
            feeds.step[k] = t;
            if (forwardInputs.includes(k)) feeds.forward[k] = t;
          }
          const fetches: Record<string, string[] | undefined> = { forward: undefined, step: fetchNames };
          const samples: Record<string, number[]> = { forward: [], step: [] };
          for (let i = 0; i < reps.warmup + reps.n; i++) {
            for (const graph of ['forward', 'step']) {
              const t0 = performance.now();
              await sessions[graph].run(feeds[graph], fetches[graph]);
              if (i >= reps.warmup) samples[graph].push(performance.now() - t0);
            }
          }
          // biome-ignore lint/suspicious/noExplicitAny: performance.memory is Chromium-only.
          const m = (performance as any).memory as { usedJSHeapSize: number; totalJSHeapSize: number } | undefined;
          for (const graph of ['forward', 'step']) {
            runs[`${graph}-${side}`] = {
              samples: samples[graph],
              jsHeapUsedMiB: m ? m.usedJSHeapSize / 2 ** 20 : undefined,
              jsHeapTotalMiB: m ? m.totalJSHeapSize / 2 ** 20 : undefined,
            };
          }
        }
        for (const graph of ['forward', 'step']) await sessions[graph].release();
        return { runs, crossOriginIsolated: self.crossOriginIsolated, userAgent: navigator.userAgent };
      },
      { sides, feedIndex, reps, fetchNames: [...STEP_FETCH], forwardInputs: [...FORWARD_INPUTS] as string[] },
    );
    const out: BrowserResult = {
      runs: {},
      crossOriginIsolated: result.crossOriginIsolated,
      userAgent: result.userAgent,
      rendererPeakRssMiB: process.platform === 'linux' ? rendererPeakRss() : undefined,
    };
    for (const [k, r] of Object.entries(result.runs)) {
      out.runs[k] = { timing: summarize(r.samples), jsHeapUsedMiB: r.jsHeapUsedMiB, jsHeapTotalMiB: r.jsHeapTotalMiB };
    }
    const errors = consoleLines.filter((l) => l.startsWith('pageerror'));
    if (errors.length) throw new Error(errors.join('\n'));
    return out;
  } finally {
    await browser.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// The suite

const round = (x: number | undefined) => (x === undefined ? 'n/a' : Math.round(x));

export const suite: BenchSuite = {
  name: SUITE,
  description:
    'Activation step (forward + gradient + Adam) at 512 / 1024 working resolution: onnxruntime-node and ' +
    'Chromium wasm; forward-only for comparison; peak memory; one full 10-step activation',
  async run(ctx: BenchContext): Promise<BenchRecord[]> {
    const src = extractorSource();
    if (!src) {
      ctx.log('public/models/extractor.json does not exist: run "npm run models" (or set FINDABLE_BENCH_EXTRACTOR).');
      return [];
    }
    const io = extractorIo(loadModel(src.bytes));
    const sides = ctx.quick ? [512] : [512, 1024];
    const records: BenchRecord[] = [];
    const common = { extractor: src.label, sha256: src.sha256.slice(0, 12) };
    const nodeParams = { ...common, backend: 'onnxruntime-node cpu', threads: THREADS };
    const child = (cfg: ChildConfig) => {
      ctx.log(`node ${cfg.kind}${cfg.kind === 'forward224' ? '' : ` ${SIZES[cfg.side].w}x${SIZES[cfg.side].h}`}`);
      return spawnChild(cfg, ctx.log);
    };

    const f224 = await child({ kind: 'forward224', side: 512, quick: ctx.quick });
    records.push({
      suite: SUITE,
      name: `node forward ${io.size}x${io.size} (extractor alone, batch 1)`,
      value: f224.timing.medianMs,
      unit: 'ms',
      timing: f224.timing,
      params: { ...nodeParams, 'peak RSS MiB': round(f224.peakRssMiB) },
    });
    for (const side of sides) {
      const { w, h } = SIZES[side];
      const fwd = await child({ kind: 'forward', side, quick: ctx.quick });
      const step = await child({ kind: 'step', side, quick: ctx.quick });
      const forwardTiming = step.forwardTiming ?? fwd.timing;
      const ratio = step.timing.medianMs / forwardTiming.medianMs;
      const size = `${w}x${h}`;
      records.push(
        {
          suite: SUITE,
          name: `node forward ${size} (resize + extractor + loss)`,
          value: forwardTiming.medianMs,
          unit: 'ms',
          timing: forwardTiming,
          params: { ...nodeParams, 'peak RSS MiB': round(fwd.peakRssMiB), timed: 'alternating with the step' },
        },
        {
          suite: SUITE,
          name: `node step ${size}`,
          value: step.timing.medianMs,
          unit: 'ms',
          timing: step.timing,
          params: { ...nodeParams, fetched: 'state + scalars (not grad)' },
        },
        {
          suite: SUITE,
          name: `node step / forward ${size}`,
          value: ratio,
          unit: 'x',
          params: { 'step ms': round(step.timing.medianMs), 'forward ms': round(forwardTiming.medianMs) },
          target: `< ${STEP_RATIO_TARGET}x`,
          met: ratio < STEP_RATIO_TARGET,
        },
        {
          suite: SUITE,
          name: `node step ${size} peak RSS`,
          value: step.peakRssMiB,
          unit: 'MiB',
          params: {
            'RSS before session MiB': round(step.baselineRssMiB),
            'forward-only peak MiB': round(fwd.peakRssMiB),
            note: 'ru_maxrss of a child process holding only this session, after warm-up runs',
          },
        },
      );
    }

    // The issue's case: a 1024x768 photo with the default settings (optimised at long side 512), and the
    // same photo optimised at full 1024 resolution for comparison (full mode).
    const base = { kind: 'activate', quick: ctx.quick, corpusDir: ctx.corpusDir } as const;
    const act = await child({ ...base, side: 1024, photo: SIZES[1024] });
    records.push({
      suite: SUITE,
      name: 'node activatePhoto 1024x768, 10 steps, default settings',
      value: act.timing.medianMs,
      unit: 'ms',
      timing: act.timing,
      params: { ...nodeParams, ...act.params, 'peak RSS MiB': round(act.peakRssMiB) },
      target: `<= ${ACTIVATE_TARGET_MS} ms`,
      met: act.timing.medianMs <= ACTIVATE_TARGET_MS,
    });
    if (!ctx.quick) {
      const at1024 = await child({ ...base, side: 1024, photo: SIZES[1024], workingSide: 1024 });
      records.push({
        suite: SUITE,
        name: 'node activatePhoto 1024x768, 10 steps, working resolution 1024',
        value: at1024.timing.medianMs,
        unit: 'ms',
        timing: at1024.timing,
        params: { ...nodeParams, ...at1024.params, 'peak RSS MiB': round(at1024.peakRssMiB) },
      });
      // Issue 5: a 48-megapixel photo activates with bounded memory. Peak RSS of the whole process, which
      // holds the 8000x6000 source and result (2 x 144 MB of RGB) besides the sessions.
      const big = await child({ ...base, side: 1024, photo: { w: 8000, h: 6000 }, once: true });
      records.push({
        suite: SUITE,
        name: 'node activatePhoto 8000x6000 (48 MP) peak RSS',
        value: big.peakRssMiB,
        unit: 'MiB',
        params: { ...nodeParams, ...big.params, 'time ms': round(big.timing.medianMs) },
      });
    }

    ctx.log(`chromium wasm ${sides.join(', ')}`);
    try {
      const b = await runChromium(src, sides, ctx.quick);
      const webParams = {
        ...common,
        backend: 'onnxruntime-web wasm (Chromium headless)',
        threads: 1,
        crossOriginIsolated: b.crossOriginIsolated,
        chromium: b.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? 'chromium',
      };
      for (const side of sides) {
        const size = `${SIZES[side].w}x${SIZES[side].h}`;
        const fwd = b.runs[`forward-${side}`];
        const step = b.runs[`step-${side}`];
        records.push(
          {
            suite: SUITE,
            name: `wasm forward ${size} (resize + extractor + loss)`,
            value: fwd.timing.medianMs,
            unit: 'ms',
            timing: fwd.timing,
            params: webParams,
          },
          {
            suite: SUITE,
            name: `wasm step ${size}`,
            value: step.timing.medianMs,
            unit: 'ms',
            timing: step.timing,
            params: {
              ...webParams,
              'JS heap used MiB': round(step.jsHeapUsedMiB),
              'JS heap total MiB': round(step.jsHeapTotalMiB),
            },
          },
          {
            suite: SUITE,
            name: `wasm step / forward ${size}`,
            value: step.timing.medianMs / fwd.timing.medianMs,
            unit: 'x',
            target: `< ${STEP_RATIO_TARGET}x`,
            met: step.timing.medianMs / fwd.timing.medianMs < STEP_RATIO_TARGET,
          },
        );
      }
      if (b.rendererPeakRssMiB !== undefined) {
        records.push({
          suite: SUITE,
          name: 'wasm renderer peak RSS',
          value: b.rendererPeakRssMiB,
          unit: 'MiB',
          params: {
            note: `VmHWM of the renderer (wasm heap included) over the whole page run: forward and step sessions, ${sides.join(' and ')}`,
          },
        });
      }
    } catch (e) {
      ctx.log(`Chromium run failed: ${(e as Error).message}`);
      throw e;
    }
    return records;
  },
};

// Child entry point: node bin/run-ts.mjs bench/suites/step.bench.ts --child '<json>'
if (process.argv[1] && resolve(process.argv[1]) === THIS_FILE && process.argv[2] === '--child') {
  const cfg = JSON.parse(process.argv[3] ?? '{}') as ChildConfig;
  const r = await runChild(cfg);
  process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
  process.exit(0);
}
