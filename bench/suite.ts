import type { Timing } from './measure';

/** One measured quantity. `unit` says what `value` counts; timings carry their distribution. */
export interface BenchRecord {
  suite: string;
  name: string;
  value: number;
  unit: string;
  timing?: Timing;
  /** Free-form context that a reader needs to interpret the number (sizes, threads, backend). */
  params?: Record<string, string | number | boolean>;
  /** A stated target, e.g. "< 3000 ms"; `met` says whether this run meets it. */
  target?: string;
  met?: boolean;
}

export interface BenchContext {
  /** Repository root. */
  root: string;
  /** ../shared/corpus when present. */
  corpusDir: string;
  /** Quick mode: smaller sizes and fewer repetitions (FINDABLE_BENCH_QUICK=1). */
  quick: boolean;
  signal?: AbortSignal;
  log(message: string): void;
}

export interface BenchSuite {
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<BenchRecord[]>;
}
