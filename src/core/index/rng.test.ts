import { describe, expect, it } from 'vitest';
import { loadFixture } from './__fixtures__/load.ts';
import { Mt19937, randPerm } from './rng.ts';

describe('Mt19937 / randPerm (faiss RandomGenerator, rand_perm)', () => {
  const fx = loadFixture('kmeans');
  it('draws the same numbers as faiss::RandomGenerator(1234)', () => {
    const expected = fx.ids('mt1234');
    const rng = new Mt19937(1234);
    for (let i = 0; i < expected.length; i++) expect(rng.next() & 0x7fffffff).toBe(expected[i]);
  });
  it('reproduces faiss::rand_perm', () => {
    expect(Array.from(randPerm(1000, 1234))).toEqual(Array.from(fx.ids('perm1000_1234')));
  });
  it('gives standard normal draws', () => {
    const rng = new Mt19937(5);
    let s = 0;
    let s2 = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const v = rng.randn();
      s += v;
      s2 += v * v;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.03);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.05);
  });
});
