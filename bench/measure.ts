/** Timing helpers for benchmarks: warm up, then repeat until both a count and a time budget are met. */
export interface Timing {
  n: number;
  meanMs: number;
  medianMs: number;
  p90Ms: number;
  minMs: number;
}

export interface MeasureOptions {
  warmup?: number;
  minIterations?: number;
  maxIterations?: number;
  minTimeMs?: number;
}

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

export function summarize(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((s, x) => s + x, 0) / sorted.length;
  return {
    n: sorted.length,
    meanMs: mean,
    medianMs: quantile(sorted, 0.5),
    p90Ms: quantile(sorted, 0.9),
    minMs: sorted[0],
  };
}

export async function measure(fn: () => unknown | Promise<unknown>, options: MeasureOptions = {}): Promise<Timing> {
  const { warmup = 1, minIterations = 3, maxIterations = 1000, minTimeMs = 500 } = options;
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < maxIterations && (samples.length < minIterations || performance.now() - start < minTimeMs)) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return summarize(samples);
}

/** Peak resident set size of this process so far, in MiB (Linux reports ru_maxrss in KiB). */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}
