/**
 * `findable activate <files|dirs> --out DIR`: activates photos with the shipped extractor on
 * onnxruntime-node and the codebook's quantizer; writes the images and one report.jsonl line per input.
 * A file that fails is reported and skipped; existing outputs are never overwritten without --force.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type ActivationResult, activatePhoto } from '../core/activation/engine.ts';
import { loadNodeRuntime } from '../core/activation/runtime.node.ts';
import { type ActivationSettings, type SettingsOptions, settingsFromOptions } from '../core/activation/settings.ts';
import { encodeBase64 } from '../core/codebook/base64.ts';
import { messageFor } from '../core/error-messages.ts';
import { FindableError, isFindableError } from '../core/errors.ts';
import { decodeImage } from '../core/image/decode.node.ts';
import { loadCodebookQuantizer } from './codebook-source.ts';
import { encodeImage, type OutputFormat } from './encode-output.ts';
import { collectImageFiles, outputNames } from './inputs.ts';
import { createProgress } from './progress.ts';

export interface ActivateCommandOptions extends SettingsOptions {
  out: string;
  codebook?: string;
  format: OutputFormat;
  quality: number;
  keepMetadata: boolean;
  force: boolean;
  threads?: number;
}

export interface ActivateSummary {
  total: number;
  activated: number;
  skipped: number;
  failed: number;
  cancelled: boolean;
}

/** One report.jsonl line; listId + code are exactly what POST /api/images takes. */
function reportLine(
  file: string,
  output: string,
  r: ActivationResult,
  split: { listId: number | null; code: Uint8Array },
  ms: number,
) {
  return {
    file,
    output,
    ok: true,
    width: r.image.width,
    height: r.image.height,
    working: r.working,
    psnr: Number(r.psnr.toFixed(3)),
    ssim: r.ssim === null ? null : Number(r.ssim.toFixed(5)),
    linf: r.linf,
    listId: split.listId,
    code: encodeBase64(split.code),
    gain: r.gain,
    steps: r.steps.length,
    finalCosine: r.steps.at(-1)?.cosine ?? null,
    settings: r.settings,
    ms: Math.round(ms),
    timings: Object.fromEntries(Object.entries(r.timings).map(([k, v]) => [k, Math.round(v)])),
  };
}

export async function runActivate(
  inputs: string[],
  options: ActivateCommandOptions,
  signal?: AbortSignal,
): Promise<ActivateSummary> {
  const settings: ActivationSettings = settingsFromOptions(options);
  const files = collectImageFiles(inputs);
  if (files.length === 0) throw new FindableError('IO', `No image files found in ${inputs.join(', ')}.`);
  mkdirSync(options.out, { recursive: true });
  const runtime = await loadNodeRuntime({ threads: options.threads });
  const { quantizer, splitCode, codebook } = await loadCodebookQuantizer(options.codebook, runtime.manifest);
  const names = outputNames(files, options.format === 'png' ? '.png' : '.jpg');
  const reportPath = join(options.out, 'report.jsonl');
  if (!existsSync(reportPath)) writeFileSync(reportPath, '');

  const summary: ActivateSummary = { total: files.length, activated: 0, skipped: 0, failed: 0, cancelled: false };
  const progress = createProgress(files.length, 'activating');
  const write = (line: object) => appendFileSync(reportPath, `${JSON.stringify(line)}\n`);
  try {
    for (let i = 0; i < files.length; i++) {
      const file = files[i];
      const shown = relative(process.cwd(), file) || file;
      const output = join(options.out, names[i]);
      if (signal?.aborted) {
        summary.cancelled = true;
        break;
      }
      if (existsSync(output) && !options.force) {
        summary.skipped++;
        progress.log(`skipped ${shown}: ${output} exists (use --force to overwrite)`);
        write({ file, output, ok: false, skipped: true, reason: 'output exists' });
        continue;
      }
      const started = performance.now();
      try {
        const bytes = new Uint8Array(readFileSync(file));
        const photo = await decodeImage(bytes, { signal });
        const result = await activatePhoto(runtime, photo, quantizer, settings, {
          signal,
          onProgress: (p) =>
            progress.update(
              i,
              `${shown} ${p.stage}${p.step ? ` ${p.step}/${p.steps} PSNR ${p.record?.psnr.toFixed(1)} dB` : ''}`,
            ),
        });
        const encoded = await encodeImage(result.image, {
          format: options.format,
          quality: options.quality,
          metadataFrom: options.keepMetadata ? bytes : undefined,
        });
        writeFileSync(output, encoded);
        summary.activated++;
        write(reportLine(file, output, result, splitCode(result.code), performance.now() - started));
        progress.log(
          `activated ${shown} -> ${names[i]}  PSNR ${result.psnr.toFixed(1)} dB, SSIM ${result.ssim?.toFixed(4)}, ` +
            `distance to target ${result.gain.before.toFixed(4)} -> ${result.gain.after.toFixed(4)}`,
        );
      } catch (error) {
        if (isFindableError(error, 'ABORTED')) {
          summary.cancelled = true;
          write({ file, ok: false, cancelled: true });
          break;
        }
        summary.failed++;
        const code = isFindableError(error) ? error.code : 'INTERNAL';
        const message = error instanceof Error ? error.message : String(error);
        write({ file, ok: false, error: { code, message } });
        progress.log(`failed ${shown}: ${message} (${messageFor(code)})`);
      }
      progress.update(i + 1, '');
    }
  } finally {
    progress.stop();
    await runtime.release();
  }
  process.stderr.write(
    `${summary.activated} activated, ${summary.skipped} skipped, ${summary.failed} failed${summary.cancelled ? ', cancelled' : ''}` +
      ` (codebook ${codebook.factory} ${codebook.contentHash.slice(0, 15)}); report: ${reportPath}\n`,
  );
  return summary;
}
