import { describe, expect, it } from 'vitest';
import { meanStd, microAveragePrecision, recallAt1 } from './metrics';

describe('recallAt1', () => {
  it('is the share of correct first results', () => {
    expect(recallAt1([true, false, true, true])).toBe(0.75);
    expect(recallAt1([])).toBeNaN();
  });
});

describe('microAveragePrecision', () => {
  it('is 1 when every true match outranks every wrong prediction', () => {
    const p = [
      { score: -0.1, correct: true },
      { score: -0.2, correct: true },
      { score: -0.5, correct: false },
    ];
    expect(microAveragePrecision(p, 2)).toBe(1);
  });

  it('matches a hand-computed ranking', () => {
    // Ranked: T F T F  -> precisions at the hits: 1/1, 2/3; 3 queries have a true reference.
    const p = [
      { score: 0.9, correct: true },
      { score: 0.8, correct: false },
      { score: 0.7, correct: true },
      { score: 0.1, correct: false },
    ];
    expect(microAveragePrecision(p, 3)).toBeCloseTo((1 + 2 / 3) / 3, 12);
  });

  it('ranks ties pessimistically', () => {
    const p = [
      { score: 0.5, correct: true },
      { score: 0.5, correct: false },
    ];
    expect(microAveragePrecision(p, 1)).toBe(0.5);
  });
});

describe('meanStd', () => {
  it('uses the population standard deviation and ignores non-finite values', () => {
    expect(meanStd([2, 4, 4, 4, 5, 5, 7, 9, Number.POSITIVE_INFINITY])).toEqual({ mean: 5, std: 2 });
  });
});
