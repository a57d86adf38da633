import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { FindableError } from '../core/errors.ts';

/** File name endings taken from folders (files named explicitly are always tried). */
export const IMAGE_EXTENSIONS = new Set([
  '.jpg',
  '.jpeg',
  '.png',
  '.webp',
  '.avif',
  '.gif',
  '.tif',
  '.tiff',
  '.bmp',
  '.heic',
  '.heif',
]);

/**
 * Expands files and folders into a sorted, de-duplicated list of image files. Folders are walked
 * recursively; hidden entries are skipped. A path that does not exist fails before any work starts.
 */
export function collectImageFiles(paths: string[]): string[] {
  const out = new Set<string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('.')) continue;
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (IMAGE_EXTENSIONS.has(extname(name).toLowerCase())) out.add(p);
    }
  };
  for (const raw of paths) {
    const p = resolve(raw);
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      throw new FindableError('IO', `${raw} does not exist.`);
    }
    if (st.isDirectory()) walk(p);
    else out.add(p);
  }
  return [...out];
}

/** Output names that never collide: photo.jpg and other/photo.png become photo.png and photo-2.png. */
export function outputNames(files: string[], extension: string): string[] {
  const used = new Map<string, number>();
  return files.map((f) => {
    const stem = basename(f, extname(f));
    const n = (used.get(stem) ?? 0) + 1;
    used.set(stem, n);
    return `${n === 1 ? stem : `${stem}-${n}`}${extension}`;
  });
}
