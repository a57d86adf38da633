/**
 * NumPy .npy files (format versions 1.0-3.0), for feature matrices exchanged with Python tools:
 * magic "\x93NUMPY", major, minor, header length (uint16 for v1, uint32 for v2/3), an ASCII Python dict
 * {'descr': '<f4', 'fortran_order': False, 'shape': (n, d)} padded with spaces to a 64-byte boundary,
 * then the data. Reads little-endian float32/float64 C-order 2-D arrays; writes float32 v1.0.
 */
import { FindableError } from '../errors.ts';

export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

function bad(message: string): never {
  throw new FindableError('INVALID_ARGUMENT', `Not a usable .npy feature file: ${message}`);
}

export function readNpy(bytes: Uint8Array): Matrix {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) bad('missing the \\x93NUMPY magic.');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder('latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shape === undefined) bad('unreadable header.');
  if (fortran === 'True') bad('Fortran-ordered arrays are not supported; save with np.ascontiguousarray.');
  const dims = shape
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (dims.length !== 2 || dims.some((d) => !Number.isInteger(d) || d <= 0)) bad(`shape (${shape}) is not (n, d).`);
  const [rows, cols] = dims;
  const offset = start + headerLen;
  const n = rows * cols;
  let data: Float32Array;
  if (descr === '<f4') {
    if (bytes.length - offset < n * 4) bad('the file is truncated.');
    data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = view.getFloat32(offset + 4 * i, true);
  } else if (descr === '<f8') {
    if (bytes.length - offset < n * 8) bad('the file is truncated.');
    data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = view.getFloat64(offset + 8 * i, true);
  } else {
    bad(`dtype ${descr} (use float32 or float64).`);
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(data[i]))
      throw new FindableError('NOT_FINITE', `The .npy file has a non-finite value at row ${Math.floor(i / cols)}.`);
  }
  return { rows, cols, data };
}

export function writeNpy(m: Matrix): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${m.rows}, ${m.cols}), }`;
  const total = 10 + header.length + 1;
  header += `${' '.repeat((64 - (total % 64)) % 64)}\n`;
  const out = new Uint8Array(10 + header.length + m.data.length * 4);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  for (let i = 0; i < m.data.length; i++) view.setFloat32(10 + header.length + 4 * i, m.data[i], true);
  return out;
}
