import { describe, expect, it } from 'vitest';
import { resultName, resultNames, stem, zipName } from './names';

describe('result names', () => {
  it('suffixes the stem and swaps the extension', () => {
    expect(resultName('Harbour at dawn.JPG', 'png', new Set())).toBe('Harbour at dawn-findable.png');
    expect(resultName('archive.tar.gz', 'jpg', new Set())).toBe('archive.tar-findable.jpg');
  });

  it('keeps names unique in one set, case-insensitively', () => {
    expect(
      resultNames([
        { name: 'a.jpg', extension: 'png' },
        { name: 'A.png', extension: 'png' },
        { name: 'a.webp', extension: 'png' },
        { name: 'a.jpg', extension: 'jpg' },
      ]),
    ).toEqual(['a-findable.png', 'A-findable-2.png', 'a-findable-3.png', 'a-findable.jpg']);
  });

  it('never makes folders or empty names', () => {
    expect(stem('../../etc/passwd')).toBe('passwd');
    expect(stem('C:\\photos\\x.jpg')).toBe('x');
    expect(stem('.hidden')).toBe('.hidden');
    expect(stem('')).toBe('photo');
    expect(stem('a:b*c?.jpg')).toBe('a_b_c_');
  });

  it('dates the ZIP', () => {
    expect(zipName(new Date(2025, 0, 9))).toBe('findable-2025-01-09.zip');
  });
});
