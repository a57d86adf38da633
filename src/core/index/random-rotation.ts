/**
 * faiss::RandomRotationMatrix (d_out <= d_in): A = d_out x d_in with orthonormal rows, b = 0.
 * faiss draws A with float_randn + LAPACK QR; we draw N(0,1) entries from MT19937(seed) (rng.ts, Box-Muller)
 * and orthonormalise the rows by Gram-Schmidt (twice), i.e. the Q factor with positive R diagonal. Same
 * distribution (Haar), different numbers: a rotation trained by faiss must be loaded with fromParts.
 * Seeds follow faiss: IndexLSH uses init(5), RandomRotationMatrix::train uses 12345.
 */
import { FindableError } from '../errors.ts';
import { orthonormalizeRows } from '../linalg.ts';
import { LinearTransform } from './linear-transform.ts';
import { Mt19937 } from './rng.ts';
import type { TrainOptions, Vectors } from './types.ts';

/** dOut x dIn row-major matrix with orthonormal rows, float64. */
export function randomOrthonormalRows(dOut: number, dIn: number, seed: number): Float64Array {
  if (dOut > dIn) {
    throw new FindableError('INVALID_ARGUMENT', `random rotation: d_out (${dOut}) must be <= d_in (${dIn})`);
  }
  const rng = new Mt19937(seed);
  const a = new Float64Array(dOut * dIn);
  for (let i = 0; i < a.length; i++) a[i] = rng.randn();
  return orthonormalizeRows(a, dOut, dIn);
}

export class RandomRotationMatrix extends LinearTransform {
  constructor(dIn: number, dOut = dIn) {
    super(dIn, dOut, false);
  }

  init(seed: number): void {
    this.setAb(randomOrthonormalRows(this.dOut, this.dIn, seed));
  }

  override train(_x?: Vectors, _n?: number, _opts?: TrainOptions): void {
    if (!this.trained) this.init(12345);
  }
}
