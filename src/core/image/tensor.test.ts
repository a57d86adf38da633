import { describe, expect, it } from 'vitest';
import { isFindableError } from '../errors';
import { fromImagenet, imagenetToRgb, rgbToImagenet, toImagenet, toUnit, unitToRgb } from './tensor';
import { type FloatImage, IMAGENET_MEAN, IMAGENET_STD, type RgbImage } from './types';

/** 256 x 2 image whose every channel takes all 256 values, in different orders per channel. */
function allValues(): RgbImage {
  const w = 256;
  const h = 2;
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = (y * w + x) * 3;
      data[p] = x;
      data[p + 1] = 255 - x;
      data[p + 2] = (x * 7 + y * 13) % 256; // 7 is coprime with 256: a permutation
    }
  }
  return { width: w, height: h, data };
}

function expectCode(fn: () => unknown, code: string) {
  try {
    fn();
  } catch (e) {
    expect(isFindableError(e) ? e.code : e).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

describe('tensor conversions', () => {
  const rgb = allValues();
  const plane = rgb.width * rgb.height;

  it('toUnit is planar NCHW with exactly fround(v / 255)', () => {
    const u = toUnit(rgb);
    expect(u.space).toBe('unit');
    expect(u.data.length).toBe(3 * plane);
    let mismatches = 0;
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) if (u.data[c * plane + p] !== Math.fround(rgb.data[p * 3 + c] / 255)) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('rgb -> unit -> rgb is exact for all 256 values per channel', () => {
    expect(unitToRgb(toUnit(rgb)).data).toEqual(rgb.data);
  });

  it('rgb -> unit -> imagenet -> unit -> rgb is exact, and the fused paths give the same bytes and floats', () => {
    const net = toImagenet(toUnit(rgb));
    expect(net.space).toBe('imagenet');
    expect(unitToRgb(fromImagenet(net)).data).toEqual(rgb.data);
    const fused = rgbToImagenet(rgb);
    expect(fused.data).toEqual(net.data); // bit-identical: same float32 unit values, same formula
    expect(imagenetToRgb(fused).data).toEqual(rgb.data);
  });

  it('imagenet values follow (u - mean) / std and fromImagenet inverts to float32 precision', () => {
    const u = toUnit(rgb);
    const net = toImagenet(u);
    let maxErr = 0;
    let maxBack = 0;
    const back = fromImagenet(net);
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < plane; p++) {
        const i = c * plane + p;
        const want = (u.data[i] - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
        maxErr = Math.max(maxErr, Math.abs(net.data[i] - want));
        maxBack = Math.max(maxBack, Math.abs(back.data[i] - u.data[i]));
      }
    }
    expect(maxErr).toBeLessThan(3e-7); // half an ulp of float32 near 2.6 (the largest |value|)
    expect(maxBack).toBeLessThan(2e-7);
  });

  it('unitToRgb clamps out-of-range values and rounds to nearest (0.5 -> 128)', () => {
    const data = new Float32Array(3);
    data.set([-0.3, 1.7, 0.5]);
    const img: FloatImage = { width: 1, height: 1, space: 'unit', data };
    expect(Array.from(unitToRgb(img).data)).toEqual([0, 255, 128]);
    data.set([0.49 / 255, 0.51 / 255, 254.6 / 255]);
    expect(Array.from(unitToRgb(img).data)).toEqual([0, 1, 255]);
  });

  it('writes into a caller buffer, in place for float -> float', () => {
    const u = toUnit(rgb);
    const buf = u.data;
    const net = toImagenet(u, buf);
    expect(net.data).toBe(buf);
    const back = fromImagenet(net, buf);
    const out = new Uint8Array(rgb.data.length);
    expect(unitToRgb(back, out).data).toBe(out);
    expect(out).toEqual(rgb.data);
  });

  it('rejects wrong spaces, wrong lengths and NaN with typed errors', () => {
    const u = toUnit(rgb);
    expectCode(() => fromImagenet(u), 'INVALID_ARGUMENT');
    expectCode(() => imagenetToRgb(u), 'INVALID_ARGUMENT');
    expectCode(() => toImagenet(toImagenet(u)), 'INVALID_ARGUMENT');
    expectCode(() => toUnit({ width: 2, height: 2, data: new Uint8Array(11) }), 'SHAPE_MISMATCH');
    expectCode(() => toUnit({ width: 0, height: 2, data: new Uint8Array(0) }), 'INVALID_ARGUMENT');
    expectCode(() => toUnit(rgb, new Float32Array(5)), 'SHAPE_MISMATCH');
    const nan: FloatImage = { width: 1, height: 1, space: 'unit', data: new Float32Array([0, Number.NaN, 0]) };
    expectCode(() => unitToRgb(nan), 'NOT_FINITE');
  });
});
