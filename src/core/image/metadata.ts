/**
 * "Keep metadata" without a native image library (the browser app; the CLI has sharp): copies the
 * original file's EXIF, ICC profile and XMP into an already encoded JPEG or PNG, byte for byte except for
 * what re-encoding made untrue (metadata-exif.ts: orientation reset to 1 because decoding applied it, the
 * pixel size, the colour space).
 *
 * Where they go: JPEG APP1 "Exif\0\0", APP1 XMP (+ extended XMP), APP2 ICC_PROFILE (split into chunks
 * when longer than one segment); PNG eXIf, iCCP (zlib) and iTXt "XML:com.adobe.xmp", with their CRCs.
 * Originals are read from JPEG, PNG and WebP; other formats keep nothing (with a warning).
 *
 * The output pixels are sRGB (decoding converts them), so by default an ICC profile is carried only when
 * it describes sRGB: a Display P3 or Adobe RGB profile would make viewers show the sRGB numbers as P3 ones
 * (colours too saturated). Such a profile is left out with a warning; untagged images are shown as sRGB.
 *
 * Failure policy: a damaged part of the ORIGINAL (truncated segment, bad CRC, broken IFD or profile) is
 * left out with a warning and never makes the output unreadable; an output that is not a sound JPEG or
 * PNG is a caller bug (INVALID_ARGUMENT).
 *
 * npm libraries checked first: piexifjs / piexif-ts (JPEG-only EXIF via binary strings, re-serialise the
 * whole IFD so maker notes move, no ICC/XMP/PNG), exifr and exifreader (readers only), png-chunks-extract
 * / png-chunks-encode / meta-png (unmaintained since 2016 or text chunks only). None covers JPEG+PNG with
 * EXIF+ICC+XMP and in-place EXIF edits, so this is hand-written; fflate does the zlib part.
 */
import { unzlibSync, zlibSync } from 'fflate';
import { FindableError, isFindableError } from '../errors.ts';
import { editExif, tiffOfExif } from './metadata-exif.ts';
import { inspectIcc } from './metadata-icc.ts';

export type MetadataPart = 'exif' | 'icc' | 'xmp';

export interface MetadataWarning {
  part: MetadataPart | 'file';
  message: string;
}

/** Metadata found in an original file, as raw blocks. */
export interface FoundMetadata {
  /** EXIF as a TIFF stream (no "Exif\0\0" prefix). */
  exif?: Uint8Array;
  /** The whole ICC profile (JPEG chunks joined). */
  icc?: Uint8Array;
  /** The XMP packet (UTF-8). */
  xmp?: Uint8Array;
  /** JPEG extended XMP segments' payloads (GUID, length, offset, data), in file order. */
  extendedXmp: Uint8Array[];
  warnings: MetadataWarning[];
}

export interface CarryOptions {
  /**
   * What the encoded pixels are: 'srgb' (default; what decode.ts produces) carries an ICC profile only when
   * it describes sRGB and marks EXIF ColorSpace as sRGB; 'original' carries any profile unchanged.
   */
  pixels?: 'srgb' | 'original';
}

export interface CarriedMetadata {
  /** The encoded file with the metadata in it (a new array). */
  bytes: Uint8Array<ArrayBuffer>;
  /** Which parts made it into the output. */
  kept: MetadataPart[];
  /** Parts of the original that were left out, and why. */
  warnings: MetadataWarning[];
  /** The original's EXIF orientation (1..8), null without one; the output's is 1. */
  orientation: number | null;
}

type Container = 'jpeg' | 'png' | 'webp' | 'other';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const EXIF_HEADER = 'Exif\0\0';
const XMP_HEADER = 'http://ns.adobe.com/xap/1.0/\0';
const XMP_EXT_HEADER = 'http://ns.adobe.com/xmp/extension/\0';
const ICC_HEADER = 'ICC_PROFILE\0';
const PNG_XMP_KEYWORD = 'XML:com.adobe.xmp';
/** A JPEG segment's payload is at most 65535 bytes, its 2-byte length included. */
const SEGMENT_MAX = 65533;
const ICC_CHUNK_MAX = SEGMENT_MAX - ICC_HEADER.length - 2;

/** One character per byte (so string indices are byte offsets); in slices, as spreads have a size limit. */
function latin1(b: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from, end = Math.min(to, b.length); i < end; i += 8192) {
    s += String.fromCharCode(...b.subarray(i, Math.min(i + 8192, end)));
  }
  return s;
}

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

function startsWith(b: Uint8Array, at: number, s: string): boolean {
  return at + s.length <= b.length && latin1(b, at, at + s.length) === s;
}

function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function u16be(v: number): Uint8Array {
  return Uint8Array.of(v >>> 8, v & 0xff);
}

function u32be(v: number): Uint8Array {
  return Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

function readU32be(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

function containerOf(b: Uint8Array): Container {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && PNG_SIGNATURE.every((v, i) => b[i] === v)) return 'png';
  if (startsWith(b, 0, 'RIFF') && startsWith(b, 8, 'WEBP')) return 'webp';
  return 'other';
}

// ---- CRC-32 (PNG chunks) ----

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(...parts: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const p of parts) for (let i = 0; i < p.length; i++) c = CRC_TABLE[(c ^ p[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---- JPEG ----

interface Segment {
  marker: number;
  /** Offset of the 0xFF of the marker. */
  start: number;
  /** Offset just past the segment. */
  end: number;
  /** Payload (after the length field). */
  payload: Uint8Array;
}

/** The marker segments before the scan data (SOS) and where the rest starts; `problem` if cut short. */
function jpegSegments(b: Uint8Array): { segments: Segment[]; rest: number; problem?: string } {
  const segments: Segment[] = [];
  let at = 2;
  while (at < b.length) {
    if (b[at] !== 0xff) return { segments, rest: at, problem: `no marker at byte ${at}` };
    let m = at + 1;
    while (m < b.length && b[m] === 0xff) m++; // fill bytes
    if (m >= b.length) break;
    const marker = b[m];
    if (marker === 0xda || marker === 0xd9) return { segments, rest: at };
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at = m + 1;
      continue;
    }
    if (m + 3 > b.length) break;
    const len = (b[m + 1] << 8) | b[m + 2];
    if (len < 2 || m + 1 + len > b.length) {
      return { segments, rest: at, problem: `segment 0xFF${marker.toString(16).toUpperCase()} is cut short` };
    }
    segments.push({ marker, start: at, end: m + 1 + len, payload: b.subarray(m + 3, m + 1 + len) });
    at = m + 1 + len;
  }
  return { segments, rest: b.length, problem: 'it ends before the image data' };
}

function readJpeg(b: Uint8Array, found: FoundMetadata): void {
  const { segments, problem } = jpegSegments(b);
  if (problem) found.warnings.push({ part: 'file', message: `The original JPEG is damaged (${problem}).` });
  const icc: { seq: number; count: number; data: Uint8Array }[] = [];
  for (const s of segments) {
    const p = s.payload;
    if (s.marker === 0xe1 && startsWith(p, 0, EXIF_HEADER)) found.exif ??= p.subarray(EXIF_HEADER.length);
    else if (s.marker === 0xe1 && startsWith(p, 0, XMP_HEADER)) found.xmp ??= p.subarray(XMP_HEADER.length);
    else if (s.marker === 0xe1 && startsWith(p, 0, XMP_EXT_HEADER)) {
      found.extendedXmp.push(p.subarray(XMP_EXT_HEADER.length));
    } else if (s.marker === 0xe2 && startsWith(p, 0, ICC_HEADER) && p.length >= ICC_HEADER.length + 2) {
      const h = ICC_HEADER.length;
      icc.push({ seq: p[h], count: p[h + 1], data: p.subarray(h + 2) });
    }
  }
  if (icc.length) {
    // Chunks are numbered 1..count; any gap, duplicate or disagreement means the profile is incomplete.
    const count = icc[0].count;
    icc.sort((a, c) => a.seq - c.seq);
    const complete = icc.length === count && icc.every((c, i) => c.seq === i + 1 && c.count === count);
    if (complete) found.icc = concat(icc.map((c) => c.data));
    else {
      found.warnings.push({
        part: 'icc',
        message: `The colour profile was left out: its ${icc.length} JPEG chunk(s) do not make a complete profile.`,
      });
    }
  }
}

function jpegSegment(marker: number, ...payload: Uint8Array[]): Uint8Array {
  const length = payload.reduce((n, p) => n + p.length, 2);
  return concat([Uint8Array.of(0xff, marker), u16be(length), ...payload]);
}

/** Size from the frame header (SOFn). */
function jpegSize(segments: Segment[]): { width: number; height: number } | null {
  for (const s of segments) {
    const sof = s.marker >= 0xc0 && s.marker <= 0xcf && s.marker !== 0xc4 && s.marker !== 0xc8 && s.marker !== 0xcc;
    if (sof && s.payload.length >= 5) {
      return { height: (s.payload[1] << 8) | s.payload[2], width: (s.payload[3] << 8) | s.payload[4] };
    }
  }
  return null;
}

function isMetadataSegment(s: Segment): boolean {
  const p = s.payload;
  if (s.marker === 0xe1) return [EXIF_HEADER, XMP_HEADER, XMP_EXT_HEADER].some((h) => startsWith(p, 0, h));
  return s.marker === 0xe2 && startsWith(p, 0, ICC_HEADER);
}

function writeJpeg(
  b: Uint8Array,
  parts: Parts,
  warnings: MetadataWarning[],
  kept: Set<MetadataPart>,
): Uint8Array<ArrayBuffer> {
  const { segments, rest, problem } = jpegSegments(b);
  if (problem) throw new FindableError('INVALID_ARGUMENT', `The encoded JPEG is not sound (${problem}).`);
  const added: Uint8Array[] = [];
  if (parts.exif) {
    if (parts.exif.length + EXIF_HEADER.length > SEGMENT_MAX) {
      warnings.push({
        part: 'exif',
        message: `EXIF was left out: ${parts.exif.length} bytes do not fit a JPEG segment.`,
      });
    } else {
      added.push(jpegSegment(0xe1, ascii(EXIF_HEADER), parts.exif));
      kept.add('exif');
    }
  }
  if (parts.xmp) {
    if (parts.xmp.length + XMP_HEADER.length > SEGMENT_MAX) {
      warnings.push({ part: 'xmp', message: `XMP was left out: ${parts.xmp.length} bytes do not fit a JPEG segment.` });
    } else {
      added.push(jpegSegment(0xe1, ascii(XMP_HEADER), parts.xmp));
      for (const x of parts.extendedXmp) {
        if (x.length + XMP_EXT_HEADER.length <= SEGMENT_MAX) added.push(jpegSegment(0xe1, ascii(XMP_EXT_HEADER), x));
      }
      kept.add('xmp');
    }
  }
  if (parts.icc) {
    const count = Math.ceil(parts.icc.length / ICC_CHUNK_MAX);
    if (count > 255) {
      warnings.push({
        part: 'icc',
        message: `The colour profile was left out: ${parts.icc.length} bytes is too large.`,
      });
    } else {
      for (let i = 0; i < count; i++) {
        const chunk = parts.icc.subarray(i * ICC_CHUNK_MAX, (i + 1) * ICC_CHUNK_MAX);
        added.push(jpegSegment(0xe2, ascii(ICC_HEADER), Uint8Array.of(i + 1, count), chunk));
      }
      kept.add('icc');
    }
  }
  // After SOI and a leading JFIF APP0 (what libjpeg and libvips write too); the encoder's own metadata
  // segments, if any, give way to the original's.
  const out: Uint8Array[] = [b.subarray(0, 2)];
  const jfif = segments[0]?.marker === 0xe0 ? 1 : 0;
  for (const s of segments.slice(0, jfif)) out.push(b.subarray(s.start, s.end));
  out.push(...added);
  for (const s of segments.slice(jfif)) if (!isMetadataSegment(s)) out.push(b.subarray(s.start, s.end));
  out.push(b.subarray(rest));
  return concat(out);
}

// ---- PNG ----

interface Chunk {
  type: string;
  start: number;
  end: number;
  data: Uint8Array;
}

/** Checked only for the chunks we copy: image data can be hundreds of MB. */
function crcOk(b: Uint8Array, c: Chunk): boolean {
  return crc32(b.subarray(c.start + 4, c.end - 4)) === readU32be(b, c.end - 4);
}

function pngChunks(b: Uint8Array): { chunks: Chunk[]; problem?: string } {
  const chunks: Chunk[] = [];
  let at = 8;
  while (at < b.length) {
    if (at + 12 > b.length) return { chunks, problem: 'a chunk header is cut short' };
    const len = readU32be(b, at);
    const end = at + 12 + len;
    if (len > 0x7fffffff || end > b.length) return { chunks, problem: 'a chunk is cut short' };
    const type = latin1(b, at + 4, at + 8);
    chunks.push({ type, start: at, end, data: b.subarray(at + 8, at + 8 + len) });
    at = end;
    if (type === 'IEND') return { chunks };
  }
  return { chunks, problem: 'it has no IEND chunk' };
}

function nul(b: Uint8Array, from: number): number {
  const i = b.indexOf(0, from);
  return i < 0 ? b.length : i;
}

/** XMP lives in iTXt (the XMP spec), or zTXt / tEXt (libvips, ImageMagick), keyword XML:com.adobe.xmp. */
function isPngXmp(c: Chunk): boolean {
  return (
    (c.type === 'iTXt' || c.type === 'zTXt' || c.type === 'tEXt') &&
    latin1(c.data, 0, nul(c.data, 0)) === PNG_XMP_KEYWORD
  );
}

function readPng(b: Uint8Array, found: FoundMetadata): void {
  const { chunks, problem } = pngChunks(b);
  if (problem) found.warnings.push({ part: 'file', message: `The original PNG is damaged (${problem}).` });
  for (const c of chunks) {
    const part: MetadataPart | null =
      c.type === 'eXIf' ? 'exif' : c.type === 'iCCP' ? 'icc' : isPngXmp(c) ? 'xmp' : null;
    if (!part) continue;
    if (!crcOk(b, c)) {
      found.warnings.push({ part, message: `The original's ${c.type} chunk has a wrong CRC, so it was left out.` });
      continue;
    }
    try {
      if (part === 'exif') found.exif ??= tiffOfExif(c.data);
      else if (part === 'icc') {
        // name \0, compression method 0, zlib stream
        const p = nul(c.data, 0);
        if (c.data[p + 1] !== 0) throw new Error('unknown compression method');
        found.icc ??= unzlibSync(c.data.subarray(p + 2));
      } else if (c.type === 'iTXt') {
        // keyword \0, compression flag, method, language \0, translated keyword \0, text
        const k = nul(c.data, 0);
        const compressed = c.data[k + 1] === 1;
        const text = nul(c.data, nul(c.data, k + 3) + 1) + 1;
        if (text > c.data.length) throw new Error('cut short');
        found.xmp ??= compressed ? unzlibSync(c.data.subarray(text)) : c.data.subarray(text);
      } else {
        // zTXt (libvips writes XMP so): keyword \0, method, zlib stream; tEXt: keyword \0, text
        const k = nul(c.data, 0);
        found.xmp ??= c.type === 'zTXt' ? unzlibSync(c.data.subarray(k + 2)) : c.data.subarray(k + 1);
      }
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      found.warnings.push({
        part,
        message: `The original's ${c.type} chunk could not be read (${why}), so it was left out.`,
      });
    }
  }
}

function pngChunk(type: string, ...data: Uint8Array[]): Uint8Array {
  const t = ascii(type);
  const body = concat(data);
  return concat([u32be(body.length), t, body, u32be(crc32(t, body))]);
}

function writePng(
  b: Uint8Array,
  parts: Parts,
  warnings: MetadataWarning[],
  kept: Set<MetadataPart>,
): Uint8Array<ArrayBuffer> {
  const { chunks, problem } = pngChunks(b);
  if (problem || chunks[0]?.type !== 'IHDR') {
    throw new FindableError('INVALID_ARGUMENT', `The encoded PNG is not sound (${problem ?? 'IHDR is not first'}).`);
  }
  const added: Uint8Array[] = [];
  // iCCP and sRGB exclude each other; the other ancillary chunks are ordered before IDAT.
  if (parts.icc) {
    added.push(pngChunk('iCCP', ascii('ICC Profile\0\0'), zlibSync(parts.icc, { level: 9 })));
    kept.add('icc');
  }
  if (parts.exif) {
    added.push(pngChunk('eXIf', parts.exif));
    kept.add('exif');
  }
  if (parts.xmp) {
    added.push(pngChunk('iTXt', ascii(`${PNG_XMP_KEYWORD}\0\0\0\0\0`), parts.xmp));
    kept.add('xmp');
    if (parts.extendedXmp.length) {
      warnings.push({ part: 'xmp', message: 'Extended XMP (JPEG only) was left out; the main XMP packet was kept.' });
    }
  }
  const replaced = (c: Chunk) =>
    (parts.icc && (c.type === 'iCCP' || c.type === 'sRGB')) ||
    (parts.exif && c.type === 'eXIf') ||
    (parts.xmp && isPngXmp(c));
  const out: Uint8Array[] = [b.subarray(0, chunks[0].end), ...added];
  // Copied in runs between the replaced chunks (image data comes in thousands of IDAT chunks).
  let run = chunks[0].end;
  for (const c of chunks.slice(1)) {
    if (!replaced(c)) continue;
    out.push(b.subarray(run, c.start));
    run = c.end;
  }
  out.push(b.subarray(run, chunks[chunks.length - 1].end));
  return concat(out);
}

// ---- WebP (originals only) ----

function readWebp(b: Uint8Array, found: FoundMetadata): void {
  let at = 12;
  while (at + 8 <= b.length) {
    const type = latin1(b, at, at + 4);
    const len = b[at + 4] | (b[at + 5] << 8) | (b[at + 6] << 16) | (b[at + 7] << 24);
    if (len < 0 || at + 8 + len > b.length) {
      found.warnings.push({ part: 'file', message: `The original WebP is damaged (chunk ${type} is cut short).` });
      return;
    }
    const data = b.subarray(at + 8, at + 8 + len);
    if (type === 'EXIF') found.exif ??= tiffOfExif(data);
    else if (type === 'ICCP') found.icc ??= data;
    else if (type === 'XMP ') found.xmp ??= data;
    at += 8 + len + (len & 1);
  }
}

// ---- public API ----

/** Finds EXIF, ICC and XMP in an original JPEG, PNG or WebP file; never throws. */
export function readMetadata(original: Uint8Array): FoundMetadata {
  const found: FoundMetadata = { extendedXmp: [], warnings: [] };
  const container = containerOf(original);
  if (container === 'jpeg') readJpeg(original, found);
  else if (container === 'png') readPng(original, found);
  else if (container === 'webp') readWebp(original, found);
  else {
    found.warnings.push({
      part: 'file',
      message: 'Metadata is read from JPEG, PNG and WebP originals only; this file keeps none.',
    });
  }
  return found;
}

interface Parts {
  exif?: Uint8Array;
  icc?: Uint8Array;
  xmp?: Uint8Array;
  extendedXmp: Uint8Array[];
}

/** Sets tiff:Orientation in an XMP packet to 1, in place (one digit for one digit). */
function xmpUpright(xmp: Uint8Array): Uint8Array {
  const text = latin1(xmp, 0, xmp.length);
  const out = new Uint8Array(xmp); // a copy, even for a Node Buffer
  for (const m of text.matchAll(/tiff:Orientation(?:\s*=\s*["']|>)\s*([0-9])/g)) {
    out[(m.index ?? 0) + m[0].length - 1] = 0x31;
  }
  return out;
}

function outputSize(encoded: Uint8Array, container: 'jpeg' | 'png'): { width: number; height: number } {
  if (container === 'png') {
    const ihdr = pngChunks(encoded).chunks[0];
    if (ihdr?.type === 'IHDR' && ihdr.data.length >= 8) {
      return { width: readU32be(ihdr.data, 0), height: readU32be(ihdr.data, 4) };
    }
  } else {
    const size = jpegSize(jpegSegments(encoded).segments);
    if (size) return size;
  }
  throw new FindableError('INVALID_ARGUMENT', `The encoded ${container.toUpperCase()} has no readable image size.`);
}

function describeError(e: unknown): string {
  return isFindableError(e) || e instanceof Error ? e.message : String(e);
}

/**
 * The encoded output (JPEG or PNG) with the original's EXIF, ICC profile and XMP carried over (see the
 * file comment for what is edited and what may be left out).
 */
export function carryMetadata(original: Uint8Array, encoded: Uint8Array, options: CarryOptions = {}): CarriedMetadata {
  const container = containerOf(encoded);
  if (container !== 'jpeg' && container !== 'png') {
    throw new FindableError('INVALID_ARGUMENT', 'Metadata can be written into JPEG or PNG output only.');
  }
  const srgbPixels = (options.pixels ?? 'srgb') === 'srgb';
  const size = outputSize(encoded, container);
  const found = readMetadata(original);
  const warnings = [...found.warnings];
  const parts: Parts = { extendedXmp: [] };
  let orientation: number | null = null;

  if (found.exif) {
    try {
      const edited = editExif(found.exif, { ...size, srgb: srgbPixels });
      parts.exif = edited.exif;
      orientation = edited.orientation;
    } catch (e) {
      warnings.push({ part: 'exif', message: `EXIF was left out: ${describeError(e)}` });
    }
  }
  if (found.icc) {
    try {
      const info = inspectIcc(found.icc);
      if (info.srgb || !srgbPixels) parts.icc = found.icc;
      else {
        const name = info.description ? `'${info.description}'` : `(${info.colourSpace.trim()})`;
        warnings.push({
          part: 'icc',
          message: `The colour profile ${name} was left out: the pixels were converted to sRGB when the photo was read.`,
        });
      }
    } catch (e) {
      warnings.push({ part: 'icc', message: `The colour profile was left out: ${describeError(e)}` });
    }
  }
  if (found.xmp) {
    const text = latin1(found.xmp, 0, Math.min(found.xmp.length, 4096));
    if (/<x:xmpmeta|<rdf:RDF/.test(text)) {
      parts.xmp = xmpUpright(found.xmp);
      parts.extendedXmp = found.extendedXmp;
    } else warnings.push({ part: 'xmp', message: 'XMP was left out: the packet is not XMP (damaged).' });
  }

  const kept = new Set<MetadataPart>();
  const bytes =
    container === 'jpeg' ? writeJpeg(encoded, parts, warnings, kept) : writePng(encoded, parts, warnings, kept);
  return { bytes, kept: (['exif', 'icc', 'xmp'] as const).filter((p) => kept.has(p)), warnings, orientation };
}
