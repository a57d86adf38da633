/**
 * The server under load (issue #6): registrations/s, feature-vector searches/s and image searches/s with
 * p50/p99 latency at 100k registered images, the server's memory, and its start-up (index rebuild from
 * SQLite) at 0, 100k and 1M registrations.
 *
 * The server is the real one: `node bin/findable.mjs serve` (what `npm start` runs) as a child process on
 * 127.0.0.1 with a temporary data directory, the shipped codebook (public/codebook.json) and extractor
 * (public/models/extractor.json), logging as in production (pino JSON lines, to a file). Only the app
 * shell is a stub (an index.html in a temporary folder): static files are not measured.
 * Rate limits are raised with the server's own flags (--max-per-ip, --max-searches-per-ip,
 * --max-writes-per-token) so that they never answer 429 here; the limiters still run on every request.
 * Image searches use 4 connections, the server's default `maxImageSearches` (more would be answered
 * 503 by design, not measured).
 *
 * Data: the registry is filled with SYNTHETIC registrations straight through the SQLite store's
 * group-commit insert (uniformly random list ids and PQ code bytes, no feature, as a browser
 * registration carries), which spreads them evenly over the 256 lists; real photos cluster, so real
 * lists are uneven and a search at nprobe 1 may scan more codes. Measured registrations go through
 * POST /api/images (code + listId, a distinct sha256 each, so every one is a real insert: 201).
 * Feature searches send random unit 512-d vectors (64 distinct bodies, k 10, nprobe 1); image searches
 * upload 4 corpus photos resized to a 1024 px long side (JPEG q90), in turn.
 *
 * Load: autocannon, closed loop (each connection sends its next request when the last one is answered),
 * in this process, so the load generator shares the machine's cores with the server (its CPU share is
 * reported). Each load gets a short unrecorded warm-up. Latency percentiles come from autocannon's
 * per-response times of 2xx answers (float ms).
 * Durations: 60 s per load (quick mode: 10 s; FINDABLE_BENCH_SERVER_SECONDS overrides). Start-up: at
 * 0, 100k and 1M registrations (quick mode: 0 and 100k); 1M is filled through the same store path.
 * Quick mode keeps the 100k fill (about 5 s) because the 100k start-up measure needs it anyway.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Mt19937 } from '../../src/core/index/rng.ts';
import { loadCodebookFile } from '../../src/server/codebook-loader.ts';
import { SqliteRegistryStore } from '../../src/server/store/sqlite-store.ts';
import { createToken } from '../../src/server/tokens.ts';
import {
  countStore,
  fillStore,
  type LoadRequest,
  type LoadResult,
  MULTIPART_CONTENT_TYPE,
  multipartImage,
  procStats,
  runLoad,
  type ServerProcess,
  type StartOptions,
  sampleRss,
  startServer,
  syntheticSha256,
} from '../server-harness.ts';
import type { BenchContext, BenchRecord, BenchSuite } from '../suite.ts';

const SUITE = 'server';
const LOAD_N = 100_000;
const BIG_N = 1_000_000;
const FEATURE_CONNECTIONS = 10;
const REGISTER_CONNECTIONS = 10;
/** = defaultLimits.maxImageSearches: the most image searches the server takes at once. */
const IMAGE_CONNECTIONS = 4;
const IMAGE_LONG_SIDE = 1024;
/** Far above any rate these loads reach on loopback: the limiters run, but never refuse. */
const NO_LIMIT = '1000000000';
/** sha256 of HTTP registration j is syntheticSha256(HTTP_SHA_OFFSET + j): never one of the fill's. */
const HTTP_SHA_OFFSET = 1e12;

const round = (v: number, digits = 3) => Number(v.toPrecision(digits));
const label = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

function dbMiB(dataDir: string): number {
  let bytes = 0;
  for (const f of readdirSync(dataDir)) if (f.startsWith('registry.sqlite3')) bytes += statSync(join(dataDir, f)).size;
  return round(bytes / 2 ** 20);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

interface Env {
  ctx: BenchContext;
  start: Omit<StartOptions, 'signal'>;
  dataDir: string;
}

/** Starts the server `runs` times on the same data; returns the last one still running. */
async function measureStartup(env: Env, n: number, runs: number, records: BenchRecord[]): Promise<ServerProcess> {
  const { ctx } = env;
  const ready: number[] = [];
  const rebuild: number[] = [];
  let server: ServerProcess | undefined;
  let rss = 0;
  for (let r = 0; r < runs; r++) {
    await server?.stop();
    server = await startServer({ ...env.start, signal: ctx.signal });
    if (server.indexed !== n) throw new Error(`the server indexed ${server.indexed} registrations, expected ${n}`);
    ready.push(server.readyMs);
    rebuild.push(server.rebuildMs);
    rss = procStats(server.pid).rssMiB;
    ctx.log(
      `start-up at ${label(n)}: ready in ${server.readyMs.toFixed(0)} ms (rebuild ${server.rebuildMs} ms), RSS ${rss.toFixed(0)} MiB`,
    );
  }
  const common = { registered: n, runs, load1: round(loadavg()[0]), dbMiB: dbMiB(env.dataDir) };
  records.push({
    suite: SUITE,
    name: `start-up to ready, ${label(n)} registered`,
    value: median(ready),
    unit: 'ms',
    params: {
      ...common,
      stat: runs > 1 ? 'median' : 'one run',
      minMs: round(Math.min(...ready)),
      maxMs: round(Math.max(...ready)),
      what: 'spawn of `findable serve` -> "Findable is running" (tsx, extractor + codebook load, rebuild, listen)',
      rssAfterReadyMiB: round(rss),
      osCache: 'warm (the database was just written or read)',
    },
  });
  if (n > 0) {
    records.push({
      suite: SUITE,
      name: `index rebuild from SQLite, ${label(n)} registered`,
      value: median(rebuild),
      unit: 'ms',
      params: {
        ...common,
        stat: runs > 1 ? 'median' : 'one run',
        minMs: Math.min(...rebuild),
        maxMs: Math.max(...rebuild),
        rowsPerSecond: Math.round(n / (median(rebuild) / 1000)),
        what: "rebuildLiveIndex as timed by the server's own log line (durationMs)",
      },
    });
  }
  return server!;
}

async function measureLoad(
  env: Env,
  server: ServerProcess,
  name: string,
  req: LoadRequest,
  options: { seconds: number; warmupSeconds: number; connections: number; registered: number },
  params: Record<string, string | number | boolean>,
): Promise<{ record: BenchRecord; result: LoadResult }> {
  const { ctx } = env;
  const url = `${server.base}${req.path}`;
  await runLoad(url, req, { seconds: options.warmupSeconds, connections: options.connections, signal: ctx.signal });
  const load1 = loadavg()[0];
  const before = procStats(server.pid);
  const sampler = sampleRss(server.pid);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await runLoad(url, req, {
    seconds: options.seconds,
    connections: options.connections,
    signal: ctx.signal,
  });
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const peakRss = sampler.stop();
  const after = procStats(server.pid);
  const serverCpuPct = (100 * (after.cpuSeconds - before.cpuSeconds)) / wall;
  const loadGenCpuPct = (100 * (cpu.user + cpu.system)) / 1e6 / wall;
  const failed = result.non2xx + result.errors;
  ctx.log(
    `${name}: ${result.requestsPerSecond.toFixed(1)} req/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, ` +
      `non-2xx ${result.non2xx}, errors ${result.errors}, server CPU ${serverCpuPct.toFixed(0)}%, ` +
      `RSS peak ${peakRss.toFixed(0)} MiB`,
  );
  return {
    result,
    record: {
      suite: SUITE,
      name,
      value: result.requestsPerSecond,
      unit: '2xx requests/s',
      timing: {
        n: result.requests - result.non2xx,
        meanMs: result.meanMs,
        medianMs: result.p50Ms,
        p90Ms: result.p90Ms,
        minMs: result.minMs,
      },
      params: {
        registered: options.registered,
        durationS: round(result.seconds),
        connections: options.connections,
        ...params,
        p50Ms: round(result.p50Ms),
        p99Ms: round(result.p99Ms),
        meanMs: round(result.meanMs),
        maxMs: round(result.maxMs),
        requests: result.requests,
        statuses: Object.entries(result.statusCounts)
          .map(([k, v]) => `${k}:${v}`)
          .join(' '),
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        serverRssPeakMiB: round(peakRss),
        serverRssHwmMiB: round(after.hwmMiB),
        serverCpuPct: round(serverCpuPct),
        loadGeneratorCpuPct: round(loadGenCpuPct),
        load1: round(load1),
      },
      target: 'no non-2xx, no errors',
      met: failed === 0,
    },
  };
}

async function run(ctx: BenchContext): Promise<BenchRecord[]> {
  const t0 = performance.now();
  const seconds = Number(process.env.FINDABLE_BENCH_SERVER_SECONDS ?? (ctx.quick ? 10 : 60));
  const warmupSeconds = ctx.quick ? 2 : 5;
  const startupRuns = ctx.quick ? 1 : 3;
  const records: BenchRecord[] = [];

  const codebookPath = join(ctx.root, 'public', 'codebook.json');
  const extractorManifest = join(ctx.root, 'public', 'models', 'extractor.json');
  const photosDir = join(ctx.corpusDir, 'photos');
  const codebook = loadCodebookFile(codebookPath);
  const { served, index } = codebook;
  const work = mkdtempSync(join(tmpdir(), 'findable-bench-server-'));
  const dataDir = join(work, 'data');
  const distDir = join(work, 'dist');
  mkdirSync(dataDir);
  mkdirSync(distDir);
  writeFileSync(join(distDir, 'index.html'), '<!doctype html><div id="root"></div>');
  ctx.log(`data in ${work}; codebook ${codebook.codebook.factory}, ${served.version.slice(0, 16)}...`);

  const env: Env = {
    ctx,
    dataDir,
    start: {
      root: ctx.root,
      dataDir,
      distDir,
      codebook: codebookPath,
      extractorManifest,
      logFile: join(work, 'server.log'),
      extraArgs: ['--max-per-ip', NO_LIMIT, '--max-searches-per-ip', NO_LIMIT, '--max-writes-per-token', NO_LIMIT],
    },
  };
  let server: ServerProcess | undefined;
  try {
    const setup = new SqliteRegistryStore({ dataDir });
    const { token, record: tokenRecord } = await createToken(setup, 'bench');
    await setup.close();
    const fill = {
      dataDir,
      ownerTokenId: tokenRecord.id,
      codebookVersion: served.version,
      nlist: index.nlist,
      codeSize: index.codeSize,
    };
    const fillTo = async (n: number) => {
      const have = await countStore(dataDir);
      const tf = performance.now();
      // Fill indices continue after the rows present (HTTP registrations have their own sha256 range).
      await fillStore(fill, have, n, {
        signal: ctx.signal,
        progress: (done, total) => {
          if (done % 200_000 === 0 || done === total) ctx.log(`fill: ${have + done} / ${n}`);
        },
      });
      const s = (performance.now() - tf) / 1000;
      records.push({
        suite: SUITE,
        name: `synthetic fill to ${label(n)} (store, not HTTP)`,
        value: s,
        unit: 's',
        params: {
          added: n - have,
          rowsPerSecond: Math.round((n - have) / s),
          how: 'SqliteRegistryStore.addImage, 10k per group commit, random list ids + codes',
          dbMiB: dbMiB(dataDir),
        },
      });
    };

    /** Fills the registry to n, measures start-ups, and records the idle server's RSS after the last. */
    const startAt = async (n: number) => {
      await fillTo(n);
      const started = await measureStartup(env, n, startupRuns, records);
      records.push({
        suite: SUITE,
        name: `server RSS after start-up, ${label(n)} registered`,
        value: procStats(started.pid).rssMiB,
        unit: 'MiB',
        params: { registered: n, what: 'VmRSS of the server process, idle, right after it listens' },
      });
      return started;
    };

    // 0 registrations: the fixed cost of a start (tsx, extractor session, codebook).
    server = await measureStartup(env, 0, 1, records);
    await server.stop();

    server = await startAt(LOAD_N);

    // Requests.
    const rng = new Mt19937(606);
    const featureBodies = Array.from({ length: 64 }, () => {
      const v = Array.from({ length: index.d }, () => rng.randn());
      const norm = Math.hypot(...v);
      return JSON.stringify({ feature: v.map((x) => Math.fround(x / norm)) });
    });
    let fb = 0;
    const featureSearch: LoadRequest = {
      method: 'POST',
      path: '/api/search',
      headers: { 'content-type': 'application/json' },
      body: () => featureBodies[fb++ % featureBodies.length],
    };
    // Without the corpus (../shared/corpus) the image-search load is skipped, the rest still runs.
    const photos = (existsSync(photosDir) ? readdirSync(photosDir) : [])
      .filter((f) => f.endsWith('.jpg'))
      .sort()
      .slice(0, 4);
    const uploads = await Promise.all(
      photos.map(async (f) => {
        const jpeg = await sharp(join(photosDir, f))
          .resize(IMAGE_LONG_SIDE, IMAGE_LONG_SIDE, { fit: 'inside' })
          .jpeg({ quality: 90 })
          .toBuffer();
        return multipartImage(jpeg, f);
      }),
    );
    let ub = 0;
    const imageSearch: LoadRequest = {
      method: 'POST',
      path: '/api/search',
      headers: { 'content-type': MULTIPART_CONTENT_TYPE },
      body: () => uploads[ub++ % uploads.length],
    };
    const codeRng = new Mt19937(707);
    let reg = 0;
    const register: LoadRequest = {
      method: 'POST',
      path: '/api/images',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: () => {
        const j = reg++;
        const code = new Uint8Array(index.codeSize);
        for (let b = 0; b < code.length; b++) code[b] = codeRng.next() & 255;
        return JSON.stringify({
          listId: codeRng.randInt(index.nlist),
          code: Buffer.from(code).toString('base64'),
          codebookVersion: served.version,
          title: `bench ${j}`,
          sha256: syntheticSha256(HTTP_SHA_OFFSET + j),
        });
      },
    };

    // Sanity: each request kind answers as expected before it is timed.
    const probe = await fetch(`${server.base}/api/search`, {
      method: 'POST',
      headers: featureSearch.headers,
      body: featureSearch.body() as string,
    });
    const probed = (await probe.json()) as { matches?: unknown[] };
    if (probe.status !== 200 || probed.matches?.length !== 10) {
      throw new Error(`feature search answered ${probe.status}: ${JSON.stringify(probed).slice(0, 200)}`);
    }
    if (photos.length === 0) ctx.log(`no photos in ${photosDir}: image search is skipped`);
    const imageProbe =
      photos.length === 0
        ? null
        : await fetch(`${server.base}/api/search`, {
            method: 'POST',
            headers: imageSearch.headers,
            body: new Uint8Array(uploads[0]),
          });
    if (imageProbe && imageProbe.status !== 200) throw new Error(`image search answered ${imageProbe.status}`);
    await imageProbe?.arrayBuffer();

    const uploadKiB = round(uploads.reduce((a, b) => a + b.length, 0) / Math.max(1, uploads.length) / 1024);
    const common = { seconds, warmupSeconds, registered: LOAD_N };
    const featureLoad = await measureLoad(
      env,
      server,
      `feature search, ${label(LOAD_N)} registered`,
      featureSearch,
      { ...common, connections: FEATURE_CONNECTIONS },
      { query: 'JSON, random unit 512-d feature', k: 10, nprobe: 1, data: 'synthetic codes (uniform lists)' },
    );
    records.push(featureLoad.record);
    if (photos.length > 0) {
      const imageLoad = await measureLoad(
        env,
        server,
        `image search, ${label(LOAD_N)} registered`,
        imageSearch,
        { ...common, connections: IMAGE_CONNECTIONS },
        {
          query: `multipart JPEG q90, ${IMAGE_LONG_SIDE} px long side, ${photos.length} corpus photos in turn`,
          uploadKiB,
          k: 10,
          nprobe: 1,
          connections: `${IMAGE_CONNECTIONS} (= maxImageSearches)`,
        },
      );
      records.push(imageLoad.record);
    }
    const regLoad = await measureLoad(
      env,
      server,
      `registration, ${label(LOAD_N)}+ registered`,
      register,
      { ...common, connections: REGISTER_CONNECTIONS },
      { body: 'JSON code + listId (as the browser sends), distinct sha256', durability: 'WAL, synchronous=FULL' },
    );
    await server.stop();
    server = undefined;
    // Every acknowledged registration must be in the store (the warm-up's are there too).
    const stored = await countStore(dataDir);
    const created = regLoad.result.statusCounts['201'] ?? 0;
    ctx.log(`store holds ${stored} registrations after ${reg} HTTP registrations (${created} timed 201s)`);
    regLoad.record.params = {
      ...regLoad.record.params,
      registeredAfter: stored,
      created201: created,
      sentWithWarmup: reg,
    };
    records.push(regLoad.record);
    if (stored < LOAD_N + created) {
      throw new Error(`the store holds ${stored} registrations, fewer than ${LOAD_N} + ${created} acknowledged`);
    }

    if (!ctx.quick) {
      server = await startAt(BIG_N);
      const big = await measureLoad(
        env,
        server,
        `feature search, ${label(BIG_N)} registered`,
        featureSearch,
        {
          seconds: Math.max(10, Math.round(seconds / 3)),
          warmupSeconds,
          registered: BIG_N,
          connections: FEATURE_CONNECTIONS,
        },
        { query: 'JSON, random unit 512-d feature', k: 10, nprobe: 1, data: 'synthetic codes (uniform lists)' },
      );
      records.push(big.record);
      await server.stop();
      server = undefined;
    }
    ctx.log(`server suite done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    return records;
  } finally {
    await server?.stop();
    if (process.env.FINDABLE_BENCH_KEEP === '1') ctx.log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

export const suite: BenchSuite = {
  name: SUITE,
  description:
    'the real server on loopback (autocannon): registrations/s, feature and image searches/s with p50/p99 at 100k, memory, start-up rebuild at 100k and 1M',
  run,
};
