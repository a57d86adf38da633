/**
 * Just enough of ICC.1 to decide whether an embedded colour profile may travel with the output: the
 * decoders convert every photo to sRGB (decode.ts), so only a profile that describes sRGB still tells the
 * truth about the output pixels. "Describes sRGB" = an RGB matrix/TRC profile whose colorants are sRGB's
 * (D50-adapted, as every sRGB profile stores them) and whose curves follow the sRGB curve closely.
 * Profiles built only from LUTs are not recognised (they are dropped, which is safe: untagged = sRGB).
 */
import { FindableError } from '../errors.ts';

export interface IccInfo {
  /** The profile's description ('desc' tag), when readable. */
  description: string | null;
  /** Header colour space signature, e.g. 'RGB ', 'CMYK', 'GRAY'. */
  colourSpace: string;
  /** True when the profile describes sRGB (see the file comment). */
  srgb: boolean;
}

/** sRGB's primaries adapted to D50 (Bradford), as the ICC's sRGB profiles store them. */
const SRGB_COLORANTS: Record<'rXYZ' | 'gXYZ' | 'bXYZ', readonly [number, number, number]> = {
  rXYZ: [0.4361, 0.2225, 0.0139],
  gXYZ: [0.3851, 0.7169, 0.0971],
  bXYZ: [0.1431, 0.0606, 0.7141],
};
/** s15Fixed16 rounding and the small differences between published sRGB profiles stay well inside this. */
const COLORANT_TOLERANCE = 0.003;
/** Largest allowed distance (0..1) between a profile's curve and the sRGB curve. */
const CURVE_TOLERANCE = 0.01;
const CURVE_SAMPLES = [0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 1];

function damaged(why: string): FindableError {
  return new FindableError('IMAGE_CORRUPT', `The ICC colour profile is damaged (${why}).`, { part: 'icc' });
}

function sig(p: Uint8Array, at: number): string {
  return String.fromCharCode(p[at], p[at + 1], p[at + 2], p[at + 3]);
}

function srgbCurve(x: number): number {
  return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
}

interface Tag {
  at: number;
  size: number;
}

class Profile {
  readonly view: DataView;
  readonly tags = new Map<string, Tag>();
  constructor(readonly p: Uint8Array) {
    this.view = new DataView(p.buffer, p.byteOffset, p.byteLength);
    if (p.length < 132) throw damaged(`${p.length} bytes, shorter than an ICC header`);
    const declared = this.view.getUint32(0);
    if (declared > p.length) throw damaged(`declares ${declared} bytes but has ${p.length}`);
    if (sig(p, 36) !== 'acsp') throw damaged("no 'acsp' signature");
    const count = this.view.getUint32(128);
    if (132 + 12 * count > p.length) throw damaged(`its tag table (${count} tags) runs past the end`);
    for (let i = 0; i < count; i++) {
      const e = 132 + 12 * i;
      const at = this.view.getUint32(e + 4);
      const size = this.view.getUint32(e + 8);
      if (at + size > p.length) throw damaged(`tag '${sig(p, e)}' runs past the end`);
      this.tags.set(sig(p, e), { at, size });
    }
  }
  s15(at: number): number {
    return this.view.getInt32(at) / 65536;
  }
  description(): string | null {
    const t = this.tags.get('desc');
    if (!t || t.size < 12) return null;
    const type = sig(this.p, t.at);
    if (type === 'desc') {
      // ICC v2 textDescriptionType: ASCII count (with its NUL), then the text.
      const n = Math.min(this.view.getUint32(t.at + 8), t.size - 12, 256);
      return clean(String.fromCharCode(...this.p.subarray(t.at + 12, t.at + 12 + Math.max(0, n))));
    }
    if (type === 'mluc' && t.size >= 28) {
      // ICC v4 multiLocalizedUnicodeType: the first record's UTF-16BE string.
      const len = Math.min(this.view.getUint32(t.at + 20), 512);
      const off = this.view.getUint32(t.at + 24);
      if (off + len > t.size) return null;
      let s = '';
      for (let i = 0; i + 1 < len; i += 2) s += String.fromCharCode(this.view.getUint16(t.at + off + i));
      return clean(s);
    }
    return null;
  }
  colorant(name: string): [number, number, number] | null {
    const t = this.tags.get(name);
    if (!t || t.size < 20 || sig(this.p, t.at) !== 'XYZ ') return null;
    return [this.s15(t.at + 8), this.s15(t.at + 12), this.s15(t.at + 16)];
  }
  /** The tone curve of a TRC tag as a function on [0,1], or null when it is not a curve we read. */
  curve(name: string): ((x: number) => number) | null {
    const t = this.tags.get(name);
    if (!t || t.size < 12) return null;
    const type = sig(this.p, t.at);
    if (type === 'curv') {
      const n = this.view.getUint32(t.at + 8);
      if (12 + 2 * n > t.size) return null;
      if (n === 0) return (x) => x;
      if (n === 1) {
        const gamma = this.view.getUint16(t.at + 12) / 256;
        return (x) => x ** gamma;
      }
      const table = Array.from({ length: n }, (_, i) => this.view.getUint16(t.at + 12 + 2 * i) / 65535);
      return (x) => {
        const pos = x * (n - 1);
        const i = Math.min(n - 2, Math.floor(pos));
        return table[i] + (table[i + 1] - table[i]) * (pos - i);
      };
    }
    if (type === 'para') {
      const fn = this.view.getUint16(t.at + 8);
      const counts = [1, 3, 4, 5, 7];
      if (fn > 4 || 12 + 4 * counts[fn] > t.size) return null;
      const [g, a = 1, b = 0, c = 0, d = 0, e = 0, f = 0] = Array.from({ length: counts[fn] }, (_, i) =>
        this.s15(t.at + 12 + 4 * i),
      );
      const pow = (v: number) => (v <= 0 ? 0 : v ** g);
      switch (fn) {
        case 0:
          return (x) => pow(x);
        case 1:
          return (x) => (x >= -b / a ? pow(a * x + b) : 0);
        case 2:
          return (x) => (x >= -b / a ? pow(a * x + b) + c : c);
        case 3:
          return (x) => (x >= d ? pow(a * x + b) : c * x);
        default:
          return (x) => (x >= d ? pow(a * x + b) + e : c * x + f);
      }
    }
    return null;
  }
}

function clean(s: string): string | null {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NULs and other control bytes pad ICC strings
  const t = s.replace(/[\u0000-\u001f]/g, '').trim();
  return t || null;
}

function describesSrgb(profile: Profile): boolean {
  if (sig(profile.p, 16) !== 'RGB ' || sig(profile.p, 20) !== 'XYZ ') return false;
  for (const [name, want] of Object.entries(SRGB_COLORANTS)) {
    const got = profile.colorant(name);
    if (!got || got.some((v, i) => Math.abs(v - want[i]) > COLORANT_TOLERANCE)) return false;
  }
  for (const name of ['rTRC', 'gTRC', 'bTRC']) {
    const curve = profile.curve(name);
    if (!curve || CURVE_SAMPLES.some((x) => Math.abs(curve(x) - srgbCurve(x)) > CURVE_TOLERANCE)) return false;
  }
  return true;
}

/** Reads an ICC profile's header and tag table; throws IMAGE_CORRUPT when it is not a sound profile. */
export function inspectIcc(profile: Uint8Array): IccInfo {
  const p = new Profile(profile);
  return { description: p.description(), colourSpace: sig(profile, 16), srgb: describesSrgb(p) };
}
