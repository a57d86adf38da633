/**
 * File names of results: "<original stem>-findable.<ext>", unique within one download set
 * ("-findable-2", "-findable-3"... on clashes, compared case-insensitively), and safe in a ZIP
 * (no folders, no control or reserved characters).
 */

export function stem(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  const s = dot > 0 ? base.slice(0, dot) : base;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point.
  const clean = s.replace(/[\u0000-\u001f<>:"|?*]+/g, '_').trim();
  return clean || 'photo';
}

export function resultName(original: string, extension: string, taken: Set<string>): string {
  const s = stem(original);
  for (let n = 1; ; n++) {
    const name = `${s}-findable${n === 1 ? '' : `-${n}`}.${extension}`;
    const key = name.toLowerCase();
    if (!taken.has(key)) {
      taken.add(key);
      return name;
    }
  }
}

/** Names for a set of results, in order. */
export function resultNames(items: { name: string; extension: string }[]): string[] {
  const taken = new Set<string>();
  return items.map((i) => resultName(i.name, i.extension, taken));
}

/** The ZIP's own name, dated: findable-YYYY-MM-DD.zip. */
export function zipName(now: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `findable-${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}.zip`;
}
