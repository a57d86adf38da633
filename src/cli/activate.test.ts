import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { type ActivateCommandOptions, runActivate } from './activate';

const corpus = join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus', 'photos');
const bad = join(import.meta.dirname, '..', 'core', 'image', '__fixtures__', 'bad');

describe('findable activate (shipped extractor and codebook)', () => {
  it('activates good photos, reports and skips a bad one, and never overwrites without --force', async () => {
    const inputs = mkdtempSync(join(tmpdir(), 'findable-in-'));
    const out = mkdtempSync(join(tmpdir(), 'findable-out-'));
    for (const name of ['enl-peaks.jpg', 'lxqt-beam.jpg']) {
      await sharp(join(corpus, name))
        .resize(160, 120, { fit: 'cover' })
        .jpeg({ quality: 92 })
        .toFile(join(inputs, name));
    }
    copyFileSync(join(bad, 'truncated.jpg'), join(inputs, 'broken.jpg'));
    const options: ActivateCommandOptions = {
      out,
      preset: 'paper',
      steps: 2,
      format: 'png',
      quality: 95,
      keepMetadata: false,
      force: false,
      threads: 1,
    };
    const first = await runActivate([inputs], options);
    expect(first).toMatchObject({ total: 3, activated: 2, failed: 1, skipped: 0, cancelled: false });
    const lines = readFileSync(join(out, 'report.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const broken = lines.find((l) => l.file.endsWith('broken.jpg'));
    expect(broken).toMatchObject({ ok: false, error: { code: 'IMAGE_CORRUPT' } });
    const good = lines.filter((l) => l.ok);
    expect(good).toHaveLength(2);
    for (const l of good) {
      expect(l.psnr).toBeGreaterThan(30);
      expect(typeof l.listId).toBe('number');
      expect(Buffer.from(l.code, 'base64')).toHaveLength(8);
      expect(l.gain.after).toBeLessThan(l.gain.before);
      const meta = await sharp(l.output).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 160, 120]);
    }

    // A second run keeps the existing outputs...
    const marker = join(out, 'enl-peaks.png');
    writeFileSync(marker, 'not overwritten');
    const second = await runActivate([inputs], options);
    expect(second).toMatchObject({ activated: 0, skipped: 2, failed: 1 });
    expect(readFileSync(marker, 'utf8')).toBe('not overwritten');
    // ... unless forced.
    const third = await runActivate([inputs], { ...options, force: true });
    expect(third).toMatchObject({ activated: 2, skipped: 0 });
    expect((await sharp(marker).metadata()).format).toBe('png');
  }, 120_000);
});
