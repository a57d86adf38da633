/**
 * Test-only helpers (Node): run models on onnxruntime-node and check gradient graphs against central
 * finite differences of the forward graph. Never imported by product code.
 */
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../../onnx/builder.ts';
import type { DataType, Dim, Model } from '../../onnx/model.ts';
import { saveModel } from '../../onnx/proto-io.ts';
import { gradientModel } from '../gradient.ts';

export type Feeds = Record<string, { data: Float32Array | Float64Array; dims: number[] }>;

export async function session(model: Model): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(saveModel(model), {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
}

export async function runOnce(
  s: ort.InferenceSession,
  feeds: Feeds,
): Promise<Record<string, Float32Array | Float64Array>> {
  const f: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) {
    f[k] = new ort.Tensor(v.data instanceof Float64Array ? 'float64' : 'float32', v.data, v.dims);
  }
  const out = await s.run(f);
  const r: Record<string, Float32Array | Float64Array> = {};
  for (const [k, v] of Object.entries(out)) r[k] = v.data as Float32Array;
  return r;
}

/** Deterministic pseudo-random numbers (mulberry32) so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(
  n: number,
  rand: () => number,
  lo = -1,
  hi = 1,
  double = true,
): Float32Array | Float64Array {
  const a = double ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rand();
  return a;
}

export interface FdCheck {
  /** Max |analytic - fd| / (1e-3 + max |fd|) */
  relErr: number;
  maxAbsErr: number;
  maxAbsRef: number;
  analytic: Float64Array;
  fd: Float64Array;
}

/**
 * Builds `forward(g, x)` as a float64 graph with input x of the given shape, differentiates
 * L = <gy, y> with respect to x, and compares with central differences (step h) computed by running
 * the forward graph on onnxruntime in double precision.
 */
export async function checkOpGradient(
  xShape: number[],
  forward: (g: GraphBuilder, x: string) => string,
  opts: { seed?: number; h?: number; lo?: number; hi?: number; x?: Float64Array; inputShape?: Dim[] } = {},
): Promise<FdCheck> {
  const dtype: DataType = 'float64';
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', dtype, opts.inputShape ?? xShape);
  g.output(forward(g, x), { name: 'y' });
  const fwd = g.build();
  const { model } = gradientModel(fwd, { of: 'y', wrt: 'x', upstream: 'input', inputShapes: { x: xShape } });
  const rand = rng(opts.seed ?? 1);
  const n = xShape.reduce((a, b) => a * b, 1);
  const xv = opts.x ?? (randomArray(n, rand, opts.lo ?? -1, opts.hi ?? 1) as Float64Array);
  const fs = await session(fwd);
  const y0 = (await runOnce(fs, { x: { data: xv, dims: xShape } })).y;
  const yDims = await outputDims(fs, xv, xShape);
  const gy = randomArray(y0.length, rand) as Float64Array;
  const gs = await session(model);
  const gx = (await runOnce(gs, { x: { data: xv, dims: xShape }, y_grad: { data: gy, dims: yDims } })).x_grad;
  const h = opts.h ?? 1e-6;
  const fd = new Float64Array(n);
  const xp = Float64Array.from(xv);
  for (let i = 0; i < n; i++) {
    xp[i] = xv[i] + h;
    const yp = (await runOnce(fs, { x: { data: xp, dims: xShape } })).y;
    xp[i] = xv[i] - h;
    const ym = (await runOnce(fs, { x: { data: xp, dims: xShape } })).y;
    xp[i] = xv[i];
    let s = 0;
    for (let j = 0; j < gy.length; j++) s += gy[j] * (yp[j] - ym[j]);
    fd[i] = s / (2 * h);
  }
  await fs.release();
  await gs.release();
  return compare(Float64Array.from(gx), fd);
}

async function outputDims(s: ort.InferenceSession, xv: Float64Array, xShape: number[]): Promise<number[]> {
  const out = await s.run({ x: new ort.Tensor('float64', xv, xShape) });
  return [...out.y.dims];
}

export function compare(analytic: ArrayLike<number>, ref: ArrayLike<number>): FdCheck {
  let maxAbsErr = 0;
  let maxAbsRef = 0;
  for (let i = 0; i < ref.length; i++) {
    maxAbsErr = Math.max(maxAbsErr, Math.abs(analytic[i] - ref[i]));
    maxAbsRef = Math.max(maxAbsRef, Math.abs(ref[i]));
  }
  if (analytic.length !== ref.length) maxAbsErr = Number.POSITIVE_INFINITY;
  return {
    relErr: maxAbsErr / (1e-3 + maxAbsRef),
    maxAbsErr,
    maxAbsRef,
    analytic: Float64Array.from(analytic),
    fd: Float64Array.from(ref),
  };
}
