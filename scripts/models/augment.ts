/**
 * The edit family that makes the learned-whitening pairs (scripts/build-models.ts): each distractor of the fit
 * set is paired with copies of itself under a seeded random chain of 1 to 3 generic edits, the kind a photo
 * goes through after publication (SSCD-style augmentation, Pizzi et al. 2022). Parameters are drawn from
 * ranges, not the evaluation's fixed settings, and the pairs come from distractors d000 only, which the
 * evaluation never uses.
 */
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  gaussianBlur,
} from '../../src/core/eval/pixel-edits.ts';
import { autoAugment, crop, jpeg, resizeArea, rotate } from '../../src/core/eval/transforms.node.ts';
import type { RgbImage } from '../../src/core/image/types.ts';
import { Mt19937 } from '../../src/core/index/rng.ts';

/** Copies per fit image. */
export const AUGMENTED_COPIES = 5;

const between = (rng: Mt19937, lo: number, hi: number) => lo + (hi - lo) * rng.randFloat64();
const logUniform = (rng: Mt19937, lo: number, hi: number) => Math.exp(between(rng, Math.log(lo), Math.log(hi)));

type Edit = (img: RgbImage, rng: Mt19937, seed: number) => RgbImage | Promise<RgbImage>;

const EDITS: Edit[] = [
  (img, rng) => adjustBrightness(img, logUniform(rng, 0.4, 2.5)),
  (img, rng) => adjustContrast(img, logUniform(rng, 0.4, 2.5)),
  (img, rng) => adjustSaturation(img, between(rng, 0, 2)),
  (img, rng) => adjustHue(img, between(rng, -0.3, 0.3)),
  (img, rng) => gaussianBlur(img, 11, between(rng, 0.5, 3)),
  (img, rng) => jpeg(img, 20 + rng.randInt(70)),
  (img, rng) => crop(img, between(rng, 0.3, 0.9), rng.randFloat64(), rng.randFloat64()),
  (img, rng) => resizeArea(img, between(rng, 0.1, 0.8)),
  (img, rng) => rotate(img, between(rng, -30, 30)),
  // Overlays, padding, noise, flips: the DISC-style chain of the evaluation's "auto" family, seeded apart.
  async (img, _rng, seed) => (await autoAugment(img, seed)).image,
];

/** A copy of `img` under 1-3 random edits; the same seed gives the same copy. */
export async function augment(img: RgbImage, seed: number): Promise<RgbImage> {
  const rng = new Mt19937(seed);
  const count = 1 + rng.randInt(3);
  let out = img;
  for (let k = 0; k < count; k++) out = await EDITS[rng.randInt(EDITS.length)](out, rng, seed * 7 + k);
  return out;
}
