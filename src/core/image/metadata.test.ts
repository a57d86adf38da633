/**
 * carryMetadata checked by independent readers: sharp (libvips/libexif/lcms) and Pillow
 * (/usr/bin/python3, Debian's python3-pil) read the files it writes. Originals are made by sharp.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { carryMetadata, crc32, readMetadata } from './metadata';
import { editExif, exifOrientation } from './metadata-exif';
import { inspectIcc } from './metadata-icc';

const dir = mkdtempSync(join(tmpdir(), 'findable-metadata-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const XMP =
  '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
  '<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" ' +
  'tiff:Orientation="6"><dc:creator>Jane Doe</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>';

/** Width x height RGB gradient (the "activated pixels" of the tests). */
function gradient(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    data[i * 3] = (i * 7) % 256;
    data[i * 3 + 1] = (i * 13) % 256;
    data[i * 3 + 2] = (i * 29) % 256;
  }
  return data;
}

function raw(width: number, height: number) {
  return sharp(gradient(width, height), { raw: { width, height, channels: 3 } });
}

/** The original: 12 x 20 stored, EXIF orientation 6 (shown 20 x 12), camera make, copyright, ICC, XMP. */
function original(icc: string = 'srgb') {
  return raw(12, 20)
    .withIccProfile(icc)
    .withXmp(XMP)
    .withExif({ IFD0: { Make: 'FindableCam', Copyright: 'Jane Doe' } })
    .withMetadata({ orientation: 6, icc }); // withMetadata alone would reset the profile to sRGB
}

/** The encoder's output as the canvas makes it: pixels only, already upright (20 x 12). */
const encoded = {
  jpeg: () => raw(20, 12).jpeg({ quality: 95 }).toBuffer(),
  png: () => raw(20, 12).png().toBuffer(),
};

interface PilView {
  ok: boolean;
  error?: string;
  format?: string;
  size?: [number, number];
  orientation?: number | null;
  make?: string | null;
  copyright?: string | null;
  colorSpace?: number | null;
  pixelX?: number | null;
  pixelY?: number | null;
  icc?: string | null;
  xmp?: string | null;
}

const PIL_READER = `
import hashlib, json, sys
from PIL import Image
out = {}
for path in sys.argv[1:]:
    try:
        with Image.open(path) as im:
            im.verify()  # PNG: every chunk's CRC
        with Image.open(path) as im:
            im.load()
            e = im.getexif()
            sub = e.get_ifd(0x8769)
            icc = im.info.get('icc_profile')
            xmp = im.info.get('xmp') or im.info.get('XML:com.adobe.xmp')
            for marker, payload in getattr(im, 'applist', []):  # JPEG: Pillow 9 keeps XMP only here
                if marker == 'APP1' and payload.startswith(b'http://ns.adobe.com/xap/1.0/\\x00'):
                    xmp = payload[29:]
            if isinstance(xmp, bytes): xmp = xmp.decode('utf-8')
            out[path] = {'ok': True, 'format': im.format, 'size': im.size, 'orientation': e.get(274),
                'make': e.get(271), 'copyright': e.get(33432), 'colorSpace': sub.get(40961),
                'pixelX': sub.get(40962), 'pixelY': sub.get(40963),
                'icc': hashlib.sha256(icc).hexdigest() if icc else None, 'xmp': xmp or None}
    except Exception as ex:
        out[path] = {'ok': False, 'error': repr(ex)}
print(json.dumps(out))
`;

/** Pillow's view of each file. */
function pil(files: Record<string, Uint8Array>): Record<string, PilView> {
  const paths = Object.entries(files).map(([name, bytes]) => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  });
  const json = JSON.parse(execFileSync('/usr/bin/python3', ['-c', PIL_READER, ...paths]).toString());
  return Object.fromEntries(Object.keys(files).map((name, i) => [name, json[paths[i]]]));
}

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

async function pixelsOf(b: Uint8Array) {
  return sharp(b).raw().toBuffer();
}

/** JPEG segments before the scan: [marker, payload] (test-side reader, independent of metadata.ts). */
function segments(b: Uint8Array): [number, Buffer][] {
  const out: [number, Buffer][] = [];
  const buf = Buffer.from(b);
  for (let at = 2; at < buf.length && buf[at + 1] !== 0xda; ) {
    const len = buf.readUInt16BE(at + 2);
    out.push([buf[at + 1], buf.subarray(at + 4, at + 2 + len)]);
    at += 2 + len;
  }
  return out;
}

/** A copy of `b` with `from` (first occurrence after `after`) replaced by `to`. */
function patched(b: Uint8Array, from: string, to: string, after = 0): Buffer {
  const out = Buffer.from(b);
  const at = out.indexOf(from, after, 'latin1');
  expect(at).toBeGreaterThan(-1);
  out.write(to, at, 'latin1');
  return out;
}

describe('carryMetadata', () => {
  it('JPEG original (EXIF, orientation 6, sRGB ICC, XMP) -> JPEG: Pillow and sharp read it all back, upright', async () => {
    const orig = await original().jpeg().toBuffer();
    const before = Buffer.from(orig);
    const enc = await encoded.jpeg();
    const r = carryMetadata(orig, enc);
    expect(r.kept).toEqual(['exif', 'icc', 'xmp']);
    expect(r.warnings).toEqual([]);
    expect(r.orientation).toBe(6);
    expect(orig.equals(before)).toBe(true); // the caller's bytes are not edited

    const meta = await sharp(r.bytes).metadata();
    expect([meta.format, meta.width, meta.height, meta.orientation]).toEqual(['jpeg', 20, 12, 1]);
    const origMeta = await sharp(orig).metadata();
    expect(origMeta.orientation).toBe(6);
    expect(meta.icc?.equals(origMeta.icc as Buffer)).toBe(true);
    expect(meta.xmpAsString).toBe(XMP.replace('tiff:Orientation="6"', 'tiff:Orientation="1"'));
    // The pixels are exactly the encoder's: only marker segments were added.
    expect((await pixelsOf(r.bytes)).equals(await pixelsOf(enc))).toBe(true);

    const seen = pil({ 'orig.jpg': orig, 'out.jpg': r.bytes });
    expect(seen['orig.jpg']).toMatchObject({ ok: true, orientation: 6, colorSpace: 65535, pixelX: 12, pixelY: 20 });
    expect(seen['out.jpg']).toMatchObject({
      ok: true,
      format: 'JPEG',
      size: [20, 12],
      orientation: 1,
      make: 'FindableCam',
      copyright: 'Jane Doe',
      colorSpace: 1, // sRGB: the pixels are sRGB
      pixelX: 20,
      pixelY: 12,
      icc: seen['orig.jpg'].icc,
    });
    expect(seen['out.jpg'].xmp).toContain('<dc:creator>Jane Doe</dc:creator>');
  });

  it('-> PNG: eXIf, iCCP (zlib) and iTXt XMP with correct CRCs', async () => {
    const orig = await original().jpeg().toBuffer();
    const enc = await encoded.png();
    const r = carryMetadata(orig, enc);
    expect(r.kept).toEqual(['exif', 'icc', 'xmp']);
    const meta = await sharp(r.bytes).metadata();
    expect([meta.format, meta.width, meta.height, meta.orientation]).toEqual(['png', 20, 12, 1]);
    expect(meta.icc?.equals((await sharp(orig).metadata()).icc as Buffer)).toBe(true);
    expect(meta.exif?.toString('latin1')).toContain('FindableCam');
    expect(meta.xmpAsString).toContain('tiff:Orientation="1"');
    expect((await pixelsOf(r.bytes)).equals(await pixelsOf(enc))).toBe(true);
    const seen = pil({ 'orig.jpg': orig, 'out.png': r.bytes })['out.png'];
    expect(seen).toMatchObject({ ok: true, format: 'PNG', size: [20, 12], orientation: 1, make: 'FindableCam' });
    expect(seen.icc).toBe(pil({ 'orig.jpg': orig })['orig.jpg'].icc);
    expect(seen.xmp).toContain('Jane Doe');
    // Chunk order: the new chunks come right after IHDR, before IDAT.
    const text = Buffer.from(r.bytes).toString('latin1');
    expect(text.indexOf('iCCP')).toBeLessThan(text.indexOf('IDAT'));
    expect(text.indexOf('eXIf')).toBeLessThan(text.indexOf('IDAT'));
  });

  it('a PNG original carries over to JPEG, and a WebP original to PNG', async () => {
    const png = await original().png().toBuffer();
    const fromPng = carryMetadata(png, await encoded.jpeg());
    expect(fromPng.kept).toEqual(['exif', 'icc', 'xmp']);
    const webp = await original().webp({ lossless: true }).toBuffer();
    const fromWebp = carryMetadata(webp, await encoded.png());
    expect(fromWebp.kept).toEqual(['exif', 'icc', 'xmp']);
    const seen = pil({ 'a.jpg': fromPng.bytes, 'b.png': fromWebp.bytes });
    for (const v of Object.values(seen)) {
      expect(v).toMatchObject({ ok: true, size: [20, 12], orientation: 1, make: 'FindableCam', pixelX: 20 });
    }
  });

  it('an ICC profile longer than one JPEG segment is joined from its chunks and split again', async () => {
    // sRGB's profile padded to 150 kB (header size updated, profile id cleared): sharp writes 3 APP2 chunks.
    const srgb = (await sharp(await original().jpeg().toBuffer()).metadata()).icc as Buffer;
    const big = Buffer.alloc(150_000);
    srgb.copy(big);
    big.writeUInt32BE(big.length, 0);
    big.fill(0, 84, 100);
    const iccPath = join(dir, 'big-srgb.icc');
    writeFileSync(iccPath, big);
    const orig = await raw(12, 20).withIccProfile(iccPath).jpeg().toBuffer();
    expect(segments(orig).filter(([m]) => m === 0xe2)).toHaveLength(3);
    expect(readMetadata(orig).icc?.length).toBe(150_000);

    const r = carryMetadata(orig, await encoded.jpeg());
    expect(r.kept).toEqual(['icc']);
    const app2 = segments(r.bytes).filter(([m]) => m === 0xe2);
    expect(app2.map(([, p]) => [p[12], p[13]])).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    expect((await sharp(r.bytes).metadata()).icc?.equals(big)).toBe(true);
    expect(pil({ 'big.jpg': r.bytes })['big.jpg'].icc).toBe(sha256(big));

    // A missing chunk: the profile is incomplete and left out, the rest still carries over.
    const withoutSecond = Buffer.from(orig);
    const at = withoutSecond.indexOf('ICC_PROFILE\0\x02', 0, 'latin1');
    withoutSecond.write('ICC_PROFILE\0\x02\x04', at, 'latin1'); // now claims 4 chunks, 3 present
    const broken = carryMetadata(withoutSecond, await encoded.jpeg());
    expect(broken.kept).toEqual([]);
    expect(broken.warnings.map((w) => w.part)).toEqual(['icc']);
  });

  it('a non-sRGB profile (Display P3) is left out with a warning: the pixels were converted to sRGB', async () => {
    const orig = await original('p3').jpeg().toBuffer();
    const r = carryMetadata(orig, await encoded.jpeg());
    expect(r.kept).toEqual(['exif', 'xmp']);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0].part).toBe('icc');
    expect(r.warnings[0].message).toMatch(/converted to sRGB/);
    expect((await sharp(r.bytes).metadata()).icc).toBeUndefined();
    // Pixels still in the original's space: the profile is carried.
    expect(carryMetadata(orig, await encoded.jpeg(), { pixels: 'original' }).kept).toEqual(['exif', 'icc', 'xmp']);
  });

  it('originals without metadata leave the output byte for byte as it was', async () => {
    for (const orig of [await raw(12, 20).jpeg().toBuffer(), await raw(12, 20).png().toBuffer()]) {
      for (const enc of [await encoded.jpeg(), await encoded.png()]) {
        const r = carryMetadata(orig, enc);
        expect(r).toMatchObject({ kept: [], warnings: [], orientation: null });
        expect(Buffer.from(r.bytes).equals(enc)).toBe(true);
      }
    }
  });

  it('damaged metadata in the original is left out with a warning and the output stays readable', async () => {
    const good = await original().jpeg().toBuffer();
    const enc = { jpeg: await encoded.jpeg(), png: await encoded.png() };
    const exifAt = good.indexOf('Exif\0\0', 0, 'latin1') + 6;
    const cases: Record<string, { bytes: Uint8Array; lost: string[] }> = {};

    // EXIF whose IFD0 offset points past the end of the block.
    const badIfd = Buffer.from(good);
    badIfd.writeUInt32LE(0xfff0, exifAt + 4);
    cases.badIfd = { bytes: badIfd, lost: ['exif'] };
    // An Exif sub-IFD pointer into nowhere.
    const badSub = Buffer.from(good);
    const sub = badSub.indexOf(Buffer.from([0x69, 0x87, 0x04, 0x00]), exifAt);
    badSub.writeUInt32LE(0x7fffffff, sub + 8);
    cases.badSub = { bytes: badSub, lost: ['exif'] };
    // An ICC profile whose header lost its 'acsp' signature.
    cases.badIcc = { bytes: patched(good, 'acsp', 'xxxx'), lost: ['icc'] };
    // Not an XMP packet.
    const xmpStart = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF';
    cases.badXmp = { bytes: patched(good, xmpStart, '#'.repeat(xmpStart.length)), lost: ['xmp'] };
    // The file cut inside the XMP segment: everything from there on is lost.
    const cut = good.subarray(0, good.indexOf('http://ns.adobe.com/xap', 0, 'latin1') + 40);
    cases.truncated = { bytes: cut, lost: ['xmp', 'icc'] };
    // A PNG original whose eXIf chunk fails its CRC.
    const png = Buffer.from(await original().png().toBuffer());
    const exifChunk = png.indexOf('eXIf', 0, 'latin1');
    png[exifChunk + 12] ^= 0xff;
    cases.pngCrc = { bytes: png, lost: ['exif'] };

    const files: Record<string, Uint8Array> = {};
    for (const [name, c] of Object.entries(cases)) {
      for (const format of ['jpeg', 'png'] as const) {
        const r = carryMetadata(c.bytes, enc[format]);
        expect(r.warnings.length, `${name} ${format}`).toBeGreaterThan(0);
        expect([...r.kept, ...c.lost].sort(), `${name} ${format}`).toEqual(['exif', 'icc', 'xmp']);
        const meta = await sharp(r.bytes).metadata();
        expect([meta.width, meta.height, meta.orientation ?? 1]).toEqual([20, 12, 1]);
        expect((await pixelsOf(r.bytes)).equals(await pixelsOf(enc[format]))).toBe(true);
        files[`${name}.${format === 'jpeg' ? 'jpg' : 'png'}`] = r.bytes;
      }
    }
    for (const [name, v] of Object.entries(pil(files))) {
      expect(v.ok, `${name}: ${v.error}`).toBe(true);
      expect(v.size).toEqual([20, 12]);
      expect(v.orientation ?? 1, name).toBe(1);
    }
  });

  it('other originals keep nothing (with a warning); an output that is not JPEG or PNG is refused', async () => {
    const gif = await raw(12, 20).gif().toBuffer();
    const r = carryMetadata(gif, await encoded.png());
    expect(r.kept).toEqual([]);
    expect(r.warnings.map((w) => w.part)).toEqual(['file']);
    const orig = await original().jpeg().toBuffer();
    expect(() => carryMetadata(orig, gif)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const png = await encoded.png();
    expect(() => carryMetadata(orig, png.subarray(0, 40))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('EXIF edits', () => {
  it('unlink the thumbnail IFD when the photo was rotated, and keep it otherwise', async () => {
    const withThumbIfd = async (orientation: number) => {
      const jpeg = await raw(12, 20)
        .withExif({ IFD0: { Make: 'FindableCam' }, IFD1: { ImageDescription: 'thumbnail' } })
        .withMetadata({ orientation })
        .jpeg()
        .toBuffer();
      return readMetadata(jpeg).exif as Uint8Array;
    };
    /** The IFD0 -> IFD1 link, read with DataView (little-endian, as libexif writes). */
    const next = (tiff: Uint8Array) => {
      const v = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
      const ifd0 = v.getUint32(4, true);
      return v.getUint32(ifd0 + 2 + 12 * v.getUint16(ifd0, true), true);
    };
    const rotated = await withThumbIfd(6);
    expect(exifOrientation(rotated)).toBe(6);
    expect(next(rotated)).not.toBe(0);
    const edited = editExif(rotated, { width: 20, height: 12, srgb: true });
    expect([edited.orientation, exifOrientation(edited.exif), next(edited.exif)]).toEqual([6, 1, 0]);
    const upright = await withThumbIfd(1);
    expect(next(editExif(upright, { width: 12, height: 20, srgb: true }).exif)).toBe(next(upright));
  });

  it('refuse what is not a TIFF stream', () => {
    expect(() => editExif(new TextEncoder().encode('not exif at all'), { width: 1, height: 1, srgb: true })).toThrow(
      expect.objectContaining({ code: 'IMAGE_CORRUPT' }),
    );
  });
});

describe('ICC profiles', () => {
  it('recognise sRGB and nothing else', async () => {
    // JPEG: it takes a CMYK profile too (PNG would drop it).
    const icc = async (name: string) =>
      (await sharp(await raw(4, 4).withIccProfile(name).jpeg().toBuffer()).metadata()).icc;
    expect(inspectIcc((await icc('srgb')) as Buffer)).toEqual({ description: 'sRGB', colourSpace: 'RGB ', srgb: true });
    expect(inspectIcc((await icc('p3')) as Buffer)).toMatchObject({ colourSpace: 'RGB ', srgb: false });
    expect(inspectIcc((await icc('cmyk')) as Buffer)).toMatchObject({ colourSpace: 'CMYK', srgb: false });
    const srgb = (await icc('srgb')) as Buffer;
    expect(() => inspectIcc(srgb.subarray(0, 100))).toThrow(expect.objectContaining({ code: 'IMAGE_CORRUPT' }));
    expect(() => inspectIcc(srgb.subarray(0, srgb.length - 10))).toThrow(/declares/);
  });
});

describe('crc32', () => {
  it('is the PNG/zlib CRC', () => {
    // The check value of CRC-32/ISO-HDLC and the CRC of an IEND chunk (type only).
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new TextEncoder().encode('IEND'))).toBe(0xae426082);
  });
});
