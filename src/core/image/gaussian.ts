/** Gaussian taps and reflect padding with torchvision's semantics (eval blur and the activation's views). */

/** Normalised 1-D Gaussian taps, torchvision's _get_gaussian_kernel1d. */
export function gaussianKernel1d(size: number, sigma: number): Float64Array {
  const k = new Float64Array(size);
  const half = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const x = i - half;
    k[i] = Math.exp(-0.5 * (x / sigma) ** 2);
    sum += k[i];
  }
  for (let i = 0; i < size; i++) k[i] /= sum;
  return k;
}

/** Reflect padding without repeating the edge (torch 'reflect'), for any offset within one period. */
export function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let m = ((i % period) + period) % period;
  if (m >= n) m = period - m;
  return m;
}
