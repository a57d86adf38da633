/**
 * Edits an EXIF block (a TIFF stream: byte order, 42, IFD0 ...) so that it stays true for the re-encoded
 * output: the pixels were decoded upright (decode.ts applies the orientation), so the orientation tag must
 * become 1 or viewers would rotate the photo a second time; the stored pixel size is the output's; and
 * the pixels are sRGB. Every edit is in place (same length), so offsets inside the block, maker notes
 * included, stay valid. A block whose structure cannot be walked is refused (IMAGE_CORRUPT): keeping it
 * would risk a wrong orientation.
 */
import { FindableError } from '../errors.ts';

const TAG_IMAGE_WIDTH = 0x0100;
const TAG_IMAGE_LENGTH = 0x0101;
const TAG_ORIENTATION = 0x0112;
const TAG_EXIF_IFD = 0x8769;
const TAG_COLOR_SPACE = 0xa001;
const TAG_PIXEL_X = 0xa002;
const TAG_PIXEL_Y = 0xa003;
const TYPE_SHORT = 3;
const TYPE_LONG = 4;
/** More entries than any real IFD has: a larger count means the block is damaged. */
const MAX_ENTRIES = 1000;

export interface ExifEdits {
  /** Size of the output image (after orientation). */
  width: number;
  height: number;
  /** The output pixels are sRGB: set ColorSpace (where present) to 1 = sRGB. */
  srgb: boolean;
}

export interface EditedExif {
  exif: Uint8Array;
  /** The original orientation (1..8), or null when the block had none. */
  orientation: number | null;
}

interface Entry {
  tag: number;
  type: number;
  count: number;
  /** Offset of the entry's 4-byte value field. */
  valueAt: number;
}

function damaged(why: string): FindableError {
  return new FindableError('IMAGE_CORRUPT', `The EXIF block is damaged (${why}).`, { part: 'exif' });
}

class Tiff {
  readonly view: DataView;
  readonly le: boolean;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < 8) throw damaged('shorter than a TIFF header');
    const order = String.fromCharCode(bytes[0], bytes[1]);
    if (order !== 'II' && order !== 'MM') throw damaged('no TIFF byte order mark');
    this.le = order === 'II';
    if (this.u16(2) !== 42) throw damaged('no TIFF magic number');
  }
  u16(at: number): number {
    if (at < 0 || at + 2 > this.bytes.length) throw damaged(`offset ${at} lies outside the block`);
    return this.view.getUint16(at, this.le);
  }
  u32(at: number): number {
    if (at < 0 || at + 4 > this.bytes.length) throw damaged(`offset ${at} lies outside the block`);
    return this.view.getUint32(at, this.le);
  }
  /** The entries of the IFD at `at` and the offset of its next-IFD pointer. */
  ifd(at: number): { entries: Entry[]; nextAt: number } {
    const n = this.u16(at);
    if (n > MAX_ENTRIES) throw damaged(`an IFD claims ${n} entries`);
    const nextAt = at + 2 + 12 * n;
    this.u32(nextAt); // bounds check: the whole IFD must lie inside the block
    const entries: Entry[] = [];
    for (let i = 0; i < n; i++) {
      const e = at + 2 + 12 * i;
      entries.push({ tag: this.u16(e), type: this.u16(e + 2), count: this.u32(e + 4), valueAt: e + 8 });
    }
    return { entries, nextAt };
  }
  read(e: Entry): number | null {
    if (e.count !== 1) return null;
    if (e.type === TYPE_SHORT) return this.u16(e.valueAt);
    if (e.type === TYPE_LONG) return this.u32(e.valueAt);
    return null;
  }
  /** Sets a single SHORT/LONG value in place; a value that does not fit the stored type is left alone. */
  write(e: Entry | undefined, value: number): void {
    if (e?.count !== 1) return;
    if (e.type === TYPE_SHORT && value <= 0xffff) this.view.setUint16(e.valueAt, value, this.le);
    else if (e.type === TYPE_LONG) this.view.setUint32(e.valueAt, value, this.le);
  }
}

/** Strips the "Exif\0\0" prefix some writers leave in PNG eXIf / WebP EXIF chunks. */
export function tiffOfExif(block: Uint8Array): Uint8Array {
  const prefixed =
    block.length >= 6 && String.fromCharCode(...block.subarray(0, 4)) === 'Exif' && block[4] === 0 && block[5] === 0;
  return prefixed ? block.subarray(6) : block;
}

/** Returns an edited copy of the EXIF block (see the file comment); throws IMAGE_CORRUPT if it is damaged. */
export function editExif(block: Uint8Array, edits: ExifEdits): EditedExif {
  // A copy (new Uint8Array, not slice: Buffer.slice would share memory and edit the caller's file).
  const tiff = new Tiff(new Uint8Array(tiffOfExif(block)));
  const ifd0 = tiff.ifd(tiff.u32(4));
  const find = (entries: Entry[], tag: number) => entries.find((e) => e.tag === tag);

  const orientationEntry = find(ifd0.entries, TAG_ORIENTATION);
  const orientation = orientationEntry ? tiff.read(orientationEntry) : null;
  // Out-of-range values are set to 1 as well: decoding treated them as 1.
  tiff.write(orientationEntry, 1);
  tiff.write(find(ifd0.entries, TAG_IMAGE_WIDTH), edits.width);
  tiff.write(find(ifd0.entries, TAG_IMAGE_LENGTH), edits.height);

  const exifPointer = find(ifd0.entries, TAG_EXIF_IFD);
  if (exifPointer) {
    const at = tiff.read(exifPointer);
    if (at === null) throw damaged('the Exif IFD pointer is not a single offset');
    const sub = tiff.ifd(at);
    tiff.write(find(sub.entries, TAG_PIXEL_X), edits.width);
    tiff.write(find(sub.entries, TAG_PIXEL_Y), edits.height);
    if (edits.srgb) tiff.write(find(sub.entries, TAG_COLOR_SPACE), 1);
  }

  // IFD1 is the thumbnail, stored as the original was (unrotated): with orientation 1 it would show
  // sideways, so it is unlinked (its bytes stay, unreferenced).
  const valid = orientation !== null && orientation >= 1 && orientation <= 8 ? orientation : null;
  if (valid !== null && valid !== 1 && tiff.u32(ifd0.nextAt) !== 0) tiff.view.setUint32(ifd0.nextAt, 0, tiff.le);
  return { exif: tiff.bytes, orientation: valid };
}

/** Reads the orientation tag of an EXIF block (null when absent or unreadable); for tests and reports. */
export function exifOrientation(block: Uint8Array): number | null {
  try {
    const tiff = new Tiff(tiffOfExif(block));
    const e = tiff.ifd(tiff.u32(4)).entries.find((x) => x.tag === TAG_ORIENTATION);
    return e ? tiff.read(e) : null;
  } catch {
    return null;
  }
}
