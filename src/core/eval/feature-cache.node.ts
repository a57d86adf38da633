/**
 * A disk cache of extractor features for files that do not change (distractors, training images), keyed
 * by the extractor's sha256 and each file's path, size and modification time. Layout of the cache file
 * (<dir>/features-<sha256 prefix>.json): {"extractor": sha, "dim": D, "entries": {"<key>": "<base64 f32>"}}.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeFloat32Base64, encodeFloat32Base64 } from '../codebook/base64.ts';

export class FeatureCache {
  private readonly entries = new Map<string, string>();
  private dirty = false;
  private readonly path: string;

  constructor(
    dir: string,
    private readonly extractorSha: string,
    private readonly dim: number,
  ) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `features-${extractorSha.slice(0, 16)}.json`);
    if (existsSync(this.path)) {
      const doc = JSON.parse(readFileSync(this.path, 'utf8')) as {
        extractor: string;
        dim: number;
        entries: Record<string, string>;
      };
      if (doc.extractor === extractorSha && doc.dim === dim)
        for (const [k, v] of Object.entries(doc.entries)) this.entries.set(k, v);
    }
  }

  /** The same file gives the same key however it was named (relative or absolute path). */
  key(file: string, variant = ''): string {
    const path = resolve(file);
    const st = statSync(path);
    return `${path}|${st.size}|${Math.floor(st.mtimeMs)}|${variant}`;
  }

  get(key: string): Float32Array | undefined {
    const v = this.entries.get(key);
    return v === undefined ? undefined : decodeFloat32Base64(v);
  }

  set(key: string, feature: Float32Array): void {
    this.entries.set(key, encodeFloat32Base64(feature));
    this.dirty = true;
  }

  save(): void {
    if (!this.dirty) return;
    writeFileSync(
      this.path,
      JSON.stringify({ extractor: this.extractorSha, dim: this.dim, entries: Object.fromEntries(this.entries) }),
    );
    this.dirty = false;
  }
}
