/**
 * The copy transformations of the evaluation protocol (method.md section 5), Node-only (sharp does the
 * geometric, JPEG and text work; colour and blur are exact torchvision semantics in pixel-edits.ts).
 * Every transform is deterministic for a given seed, so a report can be reproduced bit for bit.
 */
import sharp, { type Sharp } from 'sharp';
import { FindableError } from '../errors';
import type { RgbImage } from '../image/types';
import { Mt19937 } from '../index/rng';
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation, gaussianBlur } from './pixel-edits';

export const TRANSFORM_NAMES = [
  'identity',
  'contrast0.5',
  'contrast2',
  'brightness0.5',
  'brightness2',
  'hue0.2',
  'blur2',
  'jpeg50',
  'rot25',
  'rot90',
  'crop0.5',
  'resize0.5',
  'meme',
  'auto',
] as const;

export type TransformName = (typeof TRANSFORM_NAMES)[number];

function toSharp(img: RgbImage): Sharp {
  return sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
    raw: { width: img.width, height: img.height, channels: 3 },
  });
}

async function fromSharp(s: Sharp): Promise<RgbImage> {
  const { data, info } = await s.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** Materialises a pipeline before the next step (sharp otherwise reorders rotate/extract/resize). */
async function step(img: RgbImage, f: (s: Sharp) => Sharp): Promise<RgbImage> {
  return fromSharp(f(toSharp(img)));
}

export async function jpeg(img: RgbImage, quality: number): Promise<RgbImage> {
  const encoded = await toSharp(img).jpeg({ quality, chromaSubsampling: '4:2:0' }).toBuffer();
  return fromSharp(sharp(encoded));
}

/** Rotation by `degrees` counter-clockwise (torchvision's sign), canvas expanded, black fill. */
export function rotate(img: RgbImage, degrees: number): Promise<RgbImage> {
  return step(img, (s) => s.rotate(-degrees, { background: { r: 0, g: 0, b: 0 } }));
}

/** Crop keeping `areaFraction` of the area, same aspect ratio, at a relative position (0.5 = centre). */
export function crop(img: RgbImage, areaFraction: number, cx = 0.5, cy = 0.5): Promise<RgbImage> {
  const s = Math.sqrt(areaFraction);
  const width = Math.max(1, Math.round(img.width * s));
  const height = Math.max(1, Math.round(img.height * s));
  const left = Math.round((img.width - width) * cx);
  const top = Math.round((img.height - height) * cy);
  return step(img, (p) => p.extract({ left, top, width, height }));
}

/** Resize keeping `areaFraction` of the pixels, same aspect ratio. */
export function resizeArea(img: RgbImage, areaFraction: number): Promise<RgbImage> {
  const s = Math.sqrt(areaFraction);
  const width = Math.max(1, Math.round(img.width * s));
  const height = Math.max(1, Math.round(img.height * s));
  return step(img, (p) => p.resize(width, height, { fit: 'fill' }));
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const CAPTIONS = ['WHEN YOU SEE IT', 'NOBODY:', 'ME AT 3 AM', 'THIS IS FINE', 'EXPECTATION', 'MONDAY MOOD'];

/** A meme: a white caption bar with bold black text above the image (the image keeps its size). */
export function meme(img: RgbImage, caption: string): Promise<RgbImage> {
  const bar = Math.max(12, Math.round(img.height * 0.25));
  const fontSize = Math.max(8, Math.round(Math.min(bar * 0.55, (img.width / Math.max(caption.length, 1)) * 1.5)));
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${img.width}" height="${bar}">` +
    `<text x="50%" y="${Math.round(bar * 0.68)}" text-anchor="middle" font-family="DejaVu Sans, Liberation Sans, sans-serif" ` +
    `font-weight="bold" font-size="${fontSize}" fill="black">${escapeXml(caption)}</text></svg>`;
  return step(img, (p) =>
    p
      .extend({ top: bar, background: { r: 255, g: 255, b: 255 } })
      .composite([{ input: Buffer.from(svg), top: 0, left: 0 }]),
  );
}

function overlaySvg(w: number, h: number, rng: Mt19937): string {
  const kind = rng.randInt(2);
  const x = Math.round(rng.randFloat64() * w * 0.6);
  const y = Math.round(rng.randFloat64() * h * 0.6);
  const color = `rgb(${rng.randInt(256)},${rng.randInt(256)},${rng.randInt(256)})`;
  if (kind === 0) {
    const size = Math.max(8, Math.round(h * (0.08 + 0.12 * rng.randFloat64())));
    const text = CAPTIONS[rng.randInt(CAPTIONS.length)];
    return (
      `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><text x="${x}" y="${y + size}" ` +
      `font-family="DejaVu Sans, sans-serif" font-weight="bold" font-size="${size}" fill="${color}">${escapeXml(text)}</text></svg>`
    );
  }
  // A sticker in the spirit of DISC's emoji overlays (no colour emoji font is assumed on the machine).
  const r = Math.max(4, Math.round(Math.min(w, h) * (0.1 + 0.15 * rng.randFloat64())));
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><circle cx="${x + r}" cy="${y + r}" r="${r}" fill="${color}"/>` +
    `<circle cx="${x + r * 0.65}" cy="${y + r * 0.7}" r="${r * 0.12}" fill="black"/><circle cx="${x + r * 1.35}" cy="${y + r * 0.7}" r="${r * 0.12}" fill="black"/>` +
    `<path d="M ${x + r * 0.5} ${y + r * 1.2} Q ${x + r} ${y + r * 1.7} ${x + r * 1.5} ${y + r * 1.2}" stroke="black" stroke-width="${Math.max(1, r * 0.1)}" fill="none"/></svg>`
  );
}

type Edit = (img: RgbImage, rng: Mt19937) => Promise<RgbImage>;

const between = (rng: Mt19937, lo: number, hi: number) => lo + (hi - lo) * rng.randFloat64();

/** DISC-style edit families for the "auto" transform; one edit is drawn from a family at a time. */
const FAMILIES: Record<'colour' | 'overlay' | 'pixel' | 'spatial', Edit[]> = {
  colour: [
    async (img, rng) => adjustBrightness(img, between(rng, 0.5, 1.5)),
    async (img, rng) => adjustContrast(img, between(rng, 0.5, 1.8)),
    async (img, rng) => adjustSaturation(img, between(rng, 0, 2)),
    async (img, rng) => adjustHue(img, between(rng, -0.25, 0.25)),
  ],
  overlay: [
    async (img, rng) => step(img, (p) => p.composite([{ input: Buffer.from(overlaySvg(img.width, img.height, rng)) }])),
  ],
  pixel: [
    async (img, rng) => gaussianBlur(img, 2 * (1 + rng.randInt(5)) + 1, between(rng, 0.5, 3)),
    async (img, rng) => jpeg(img, 15 + rng.randInt(60)),
    async (img, rng) => {
      const std = between(rng, 3, 20);
      const out = new Uint8Array(img.data.length);
      for (let i = 0; i < out.length; i++) {
        const n = Math.sqrt(-2 * Math.log(1 - rng.randFloat64())) * Math.cos(2 * Math.PI * rng.randFloat64());
        out[i] = Math.max(0, Math.min(255, Math.round(img.data[i] + std * n)));
      }
      return { width: img.width, height: img.height, data: out };
    },
  ],
  spatial: [
    async (img, rng) => crop(img, between(rng, 0.3, 0.9), rng.randFloat64(), rng.randFloat64()),
    async (img, rng) => rotate(img, between(rng, -30, 30)),
    async (img) => step(img, (p) => p.flop()),
    async (img, rng) => resizeArea(img, between(rng, 0.1, 0.8)),
    async (img, rng) => {
      const pad = Math.round(Math.min(img.width, img.height) * between(rng, 0.05, 0.3));
      const background = { r: rng.randInt(256), g: rng.randInt(256), b: rng.randInt(256) };
      return step(img, (p) => p.extend({ top: pad, bottom: pad, left: pad, right: pad, background }));
    },
  ],
};

/** A seeded random chain of 1 to 4 edits, each from a different family, in random order. */
export async function autoAugment(img: RgbImage, seed: number): Promise<{ image: RgbImage; edits: string[] }> {
  const rng = new Mt19937(seed);
  const families = Object.keys(FAMILIES) as (keyof typeof FAMILIES)[];
  // Fisher-Yates on the family order, then keep the first 1..4.
  for (let i = families.length - 1; i > 0; i--) {
    const j = rng.randInt(i + 1);
    [families[i], families[j]] = [families[j], families[i]];
  }
  const count = 1 + rng.randInt(4);
  const edits: string[] = [];
  let out = img;
  for (const family of families.slice(0, count)) {
    const options = FAMILIES[family];
    const k = rng.randInt(options.length);
    out = await options[k](out, rng);
    edits.push(`${family}${k}`);
  }
  return { image: out, edits };
}

/** Applies one named transformation. `seed` drives the random ones (meme caption, auto chain). */
export async function applyTransform(name: TransformName, img: RgbImage, seed = 0): Promise<RgbImage> {
  switch (name) {
    case 'identity':
      return img;
    case 'contrast0.5':
      return adjustContrast(img, 0.5);
    case 'contrast2':
      return adjustContrast(img, 2);
    case 'brightness0.5':
      return adjustBrightness(img, 0.5);
    case 'brightness2':
      return adjustBrightness(img, 2);
    case 'hue0.2':
      return adjustHue(img, 0.2);
    case 'blur2':
      return gaussianBlur(img, 11, 2);
    case 'jpeg50':
      return jpeg(img, 50);
    case 'rot25':
      return rotate(img, 25);
    case 'rot90':
      return rotate(img, 90);
    case 'crop0.5':
      return crop(img, 0.5);
    case 'resize0.5':
      return resizeArea(img, 0.5);
    case 'meme':
      return meme(img, CAPTIONS[new Mt19937(seed).randInt(CAPTIONS.length)]);
    case 'auto':
      return (await autoAugment(img, seed)).image;
    default:
      throw new FindableError('INVALID_ARGUMENT', `Unknown transformation "${name as string}".`, {
        known: TRANSFORM_NAMES.join(', '),
      });
  }
}
