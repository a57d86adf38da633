// Regenerates the bad-input fixtures in this folder: `node src/core/image/__fixtures__/bad/make-fixtures.mjs`
// (from the repository root; needs ../shared/corpus for truncated.jpg). Pure Node, no dependencies.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));

// 1. A zero-byte file.
writeFileSync(join(here, 'empty.jpg'), new Uint8Array(0));

// 2. A text file renamed .jpg.
writeFileSync(join(here, 'text.jpg'), 'This is a plain text file that somebody renamed to .jpg.\n');

// 3. The first half of a real corpus photo (a JPEG cut mid-scan, no EOI marker).
const photo = readFileSync(join(here, '../../../../../../shared/corpus/photos/enl-peaks.jpg'));
writeFileSync(join(here, 'truncated.jpg'), photo.subarray(0, photo.length >> 1));

// 4. A valid 20000 x 20000 PNG (400 MP; 1-bit greyscale, all black) that is ~50 KB on disk:
//    a decompression bomb that must be refused from its header (a decoded RGBA copy would be 1.6 GB).
function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
const W = 20000;
const H = 20000;
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(W, 0);
ihdr.writeUInt32BE(H, 4);
ihdr[8] = 1; // bit depth
ihdr[9] = 0; // greyscale
const rows = Buffer.alloc((1 + Math.ceil(W / 8)) * H); // filter byte 0 + zero bits per row
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(rows, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
writeFileSync(join(here, 'huge-20000x20000.png'), png);
console.log('fixtures written to', here);
