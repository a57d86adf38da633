/**
 * Argument checks shared by the image math. They throw typed errors early so that a wrong buffer length
 * surfaces as SHAPE_MISMATCH instead of silently reading undefined (NaN) or past a view's end.
 */
import { FindableError } from '../errors';
import type { FloatImage, FloatMap, FloatSpace, RgbImage } from './types';

export function assertSize(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new FindableError('INVALID_ARGUMENT', `${name} must be a positive integer, got ${value}.`, { [name]: value });
  }
}

export function assertRgbImage(img: RgbImage, name = 'image'): void {
  assertSize(`${name}.width`, img.width);
  assertSize(`${name}.height`, img.height);
  const expected = img.width * img.height * 3;
  if (img.data.length !== expected) {
    throw new FindableError('SHAPE_MISMATCH', `${name}: expected ${expected} bytes (w*h*3), got ${img.data.length}.`, {
      width: img.width,
      height: img.height,
      length: img.data.length,
    });
  }
}

export function assertFloatImage(img: FloatImage, space?: FloatSpace, name = 'image'): void {
  assertSize(`${name}.width`, img.width);
  assertSize(`${name}.height`, img.height);
  const expected = img.width * img.height * 3;
  if (img.data.length !== expected) {
    throw new FindableError('SHAPE_MISMATCH', `${name}: expected ${expected} floats (3*h*w), got ${img.data.length}.`, {
      width: img.width,
      height: img.height,
      length: img.data.length,
    });
  }
  if (space !== undefined && img.space !== space) {
    throw new FindableError('INVALID_ARGUMENT', `${name}: expected a '${space}' image, got '${img.space}'.`, {
      expected: space,
      actual: img.space,
    });
  }
}

export function assertFloatMap(map: FloatMap, name = 'map'): void {
  assertSize(`${name}.width`, map.width);
  assertSize(`${name}.height`, map.height);
  if (map.data.length !== map.width * map.height) {
    throw new FindableError(
      'SHAPE_MISMATCH',
      `${name}: expected ${map.width * map.height} floats, got ${map.data.length}.`,
    );
  }
}

export function assertSameSize(a: { width: number; height: number }, b: { width: number; height: number }): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new FindableError('SHAPE_MISMATCH', `Image sizes differ: ${a.width}x${a.height} vs ${b.width}x${b.height}.`, {
      a: [a.width, a.height],
      b: [b.width, b.height],
    });
  }
}

/** Returns `out` if it has exactly `length` elements, else a new buffer; a wrong-sized `out` is a caller bug. */
export function outBuffer<T extends Float32Array | Uint8Array>(
  out: T | undefined,
  length: number,
  make: (n: number) => T,
): T {
  if (out === undefined) return make(length);
  if (out.length !== length) {
    throw new FindableError('SHAPE_MISMATCH', `Output buffer: expected ${length} elements, got ${out.length}.`);
  }
  return out;
}
