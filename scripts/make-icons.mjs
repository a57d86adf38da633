#!/usr/bin/env node
// Writes the PWA icons (public/icons/*) from one SVG with sharp: `node scripts/make-icons.mjs`.
// The maskable icon keeps the mark inside the central 80% safe zone on a full-bleed background.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'icons');
mkdirSync(out, { recursive: true });

/** A magnifier over a photo frame; `inset` shrinks the mark (maskable safe zone), `round` the corners. */
function svg({ inset = 0, round = 96 } = {}) {
  const s = 512;
  const k = (s - 2 * inset) / s;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${s} ${s}" width="${s}" height="${s}" role="img" aria-labelledby="t">
  <title id="t">Findable</title>
  <rect width="${s}" height="${s}" rx="${round}" fill="#2456d6"/>
  <g transform="translate(${inset} ${inset}) scale(${k})">
    <rect x="84" y="118" width="300" height="236" rx="24" fill="none" stroke="#fff" stroke-width="28"/>
    <path d="M112 326 l80-96 56 64 40-44 68 76z" fill="#fff" opacity="0.85"/>
    <circle cx="318" cy="300" r="78" fill="#2456d6" stroke="#ffd84a" stroke-width="30"/>
    <path d="M374 356 l70 70" stroke="#ffd84a" stroke-width="38" stroke-linecap="round"/>
  </g>
</svg>`;
}

writeFileSync(join(out, 'icon.svg'), svg());
const plain = Buffer.from(svg());
const maskable = Buffer.from(svg({ inset: 64, round: 0 }));
for (const size of [192, 512]) {
  await sharp(plain)
    .resize(size, size)
    .png()
    .toFile(join(out, `icon-${size}.png`));
}
await sharp(maskable).resize(512, 512).png().toFile(join(out, 'maskable-512.png'));
await sharp(plain).resize(180, 180).flatten({ background: '#2456d6' }).png().toFile(join(out, 'apple-touch-icon.png'));
console.log(`icons written to ${out}`);
