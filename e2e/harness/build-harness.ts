/**
 * Bundles e2e/harness/decode-harness.ts (and so src/core/image/decode.browser.ts) into one ES module with
 * Vite's build API, for Playwright specs that serve it with page.route (no web server needed).
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const HARNESS_ORIGIN = 'http://harness.local';
export const HARNESS_OUT_DIR = join(root, '.tmp/e2e-harness');

/** The page that loads the bundle; fulfil it at `${HARNESS_ORIGIN}/decode.html`. */
export const DECODE_HARNESS_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>decode harness</title></head>
<body><script type="module" src="/decode-harness.js"></script></body></html>`;

export interface BuiltHarness {
  /** Absolute path of the bundle. */
  file: string;
  /** Its text, ready for route.fulfill. */
  code: string;
}

let cached: Promise<BuiltHarness> | undefined;

/**
 * Builds the decode harness (once per process) and returns its code; also writes it to
 * .tmp/e2e-harness/decode-harness.js for inspection. The build itself runs in memory (write: false) and
 * the file is replaced atomically, so parallel Playwright workers cannot trip over each other.
 */
export function buildDecodeHarness(): Promise<BuiltHarness> {
  cached ??= buildOnce();
  return cached;
}

async function buildOnce(): Promise<BuiltHarness> {
  const result = await build({
    configFile: false,
    root,
    logLevel: 'warn',
    publicDir: false,
    build: {
      outDir: HARNESS_OUT_DIR,
      emptyOutDir: false,
      write: false,
      target: 'es2022',
      minify: false,
      sourcemap: 'inline',
      lib: {
        entry: join(root, 'e2e/harness/decode-harness.ts'),
        formats: ['es'],
        fileName: () => 'decode-harness.js',
      },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]).flatMap((r) => ('output' in r ? r.output : []));
  const chunk = outputs.find((o) => o.type === 'chunk' && o.fileName === 'decode-harness.js');
  if (chunk?.type !== 'chunk') throw new Error('Vite did not produce decode-harness.js');
  if (outputs.length !== 1) throw new Error(`Expected one self-contained bundle, got ${outputs.length} files`);
  const file = join(HARNESS_OUT_DIR, 'decode-harness.js');
  await mkdir(HARNESS_OUT_DIR, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, chunk.code);
  await rename(tmp, file);
  return { file, code: chunk.code };
}
