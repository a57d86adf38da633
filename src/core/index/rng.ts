/**
 * The PRNG used by every seeded step of the index code: MT19937 (std::mt19937), seeded like
 * `std::mt19937(seed)` (init_genrand with the low 32 bits of the seed).
 *
 * Why MT19937: it is what faiss's RandomGenerator wraps, so with the same seed we draw the same numbers as
 * faiss: randInt(max) = mt() % max, randFloat() = mt() / 0xffffffff (rounded to float32), and randPerm is
 * faiss::rand_perm bit for bit. That makes our k-means initialisation and subsampling pick exactly the
 * points faiss picks (checked against faiss 1.7.3 in rng.test.ts).
 * Gaussian draws (random rotations) are ours, not faiss's float_randn: Box-Muller on two randFloat64().
 */
const N = 624;
const M = 397;

export class Mt19937 {
  private readonly mt = new Uint32Array(N);
  private index = N;
  private spare: number | null = null;

  constructor(seed: number) {
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      // 1812433253 * prev + i, modulo 2^32 without losing precision.
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  /** Next raw 32-bit output, in [0, 2^32). */
  next(): number {
    const mt = this.mt;
    if (this.index >= N) {
      for (let i = 0; i < N; i++) {
        const y = (mt[i] & 0x80000000) | (mt[(i + 1) % N] & 0x7fffffff);
        let v = mt[(i + M) % N] ^ (y >>> 1);
        if (y & 1) v ^= 0x9908b0df;
        mt[i] = v >>> 0;
      }
      this.index = 0;
    }
    let y = mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** faiss RandomGenerator::rand_int(max): mt() % max. */
  randInt(max: number): number {
    return this.next() % max;
  }

  /** faiss RandomGenerator::rand_float(): mt() / float(mt.max()), in float32. */
  randFloat(): number {
    return Math.fround(this.next() / 4294967295);
  }

  /** Uniform double in [0, 1) with 53 random bits (two draws). */
  randFloat64(): number {
    const a = this.next() >>> 5;
    const b = this.next() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Standard normal draw (Box-Muller; the second value of each pair is cached). */
  randn(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.randFloat64();
    const v = this.randFloat64();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

/** faiss::rand_perm(perm, n, seed): Fisher-Yates with i2 = i + rand_int(n - i). */
export function randPerm(n: number, seed: number): Int32Array {
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const rng = new Mt19937(seed);
  for (let i = 0; i + 1 < n; i++) {
    const i2 = i + rng.randInt(n - i);
    const t = perm[i];
    perm[i] = perm[i2];
    perm[i2] = t;
  }
  return perm;
}
