/**
 * Copy-detection metrics of the evaluation protocol (method.md section 5).
 *
 * R@1: share of queries whose first result is the right reference.
 * muAP (micro average precision, as in DISC21 / the ISC challenge): every query contributes its top
 * result as one prediction (score = -distance); predictions of all queries, matching and non-matching,
 * are ranked by score; a prediction is correct when the query has a true reference and the result is it.
 * AP = sum over correct predictions at rank r of precision@r, divided by the number of queries that
 * have a true reference (so misses and confident false matches both cost).
 */
export interface Prediction {
  /** Higher = more confident (the negative squared distance). */
  score: number;
  /** Whether the predicted reference is the query's true reference. */
  correct: boolean;
}

export function recallAt1(correct: ArrayLike<boolean>): number {
  if (correct.length === 0) return Number.NaN;
  let n = 0;
  for (let i = 0; i < correct.length; i++) if (correct[i]) n++;
  return n / correct.length;
}

export function microAveragePrecision(predictions: Prediction[], queriesWithTruth: number): number {
  if (queriesWithTruth <= 0) return Number.NaN;
  // Ties: incorrect first, so that equal scores never flatter the result.
  const ranked = [...predictions].sort((a, b) => b.score - a.score || Number(a.correct) - Number(b.correct));
  let hits = 0;
  let ap = 0;
  ranked.forEach((p, i) => {
    if (p.correct) {
      hits++;
      ap += hits / (i + 1);
    }
  });
  return ap / queriesWithTruth;
}

export interface MeanStd {
  mean: number;
  std: number;
}

export function meanStd(values: number[]): MeanStd {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { mean: Number.NaN, std: Number.NaN };
  const mean = finite.reduce((s, v) => s + v, 0) / finite.length;
  const variance = finite.reduce((s, v) => s + (v - mean) ** 2, 0) / finite.length;
  return { mean, std: Math.sqrt(variance) };
}
