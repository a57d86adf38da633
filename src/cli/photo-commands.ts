/** The photo-bank commands: activate, train-index, eval. Heavy modules load only when a command runs. */
import { writeFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { PRESETS, type PresetName, settingsFromOptions } from '../core/activation/settings.ts';
import { FindableError } from '../core/errors.ts';
import { TRANSFORM_NAMES, type TransformName } from '../core/eval/transforms.node.ts';

function number(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('must be a number.');
  return n;
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer.');
  return n;
}

/** Ctrl-C cancels the running operation cleanly (finished outputs stay); a second Ctrl-C quits at once. */
function cancellation(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\ncancelling after the current step (Ctrl-C again to quit now)\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  return controller.signal;
}

function activationOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--preset <name>',
        'paper (10 steps, lr 1), fast (1 step, lr 10) or robust (lr 0.17, 3 edited views per step: about 4x slower)',
      )
        .choices(Object.keys(PRESETS))
        .default('paper'),
    )
    .option('--steps <n>', 'Adam steps', integer)
    .option('--lr <x>', 'learning rate', number)
    .option('--alpha <x>', 'strength (scales the perceptual bound)', number)
    .option('--lambda-i <x>', 'weight of the image loss', number)
    .option('--max-side <px>', 'long side of the working resolution', integer)
    .option('--views <n>', 'randomly edited views per step (0 = the paper; more = robust to edits, slower)', integer)
    .option('--seed <n>', 'seed (activation init; for eval also the split and transformations)', integer);
}

export function registerPhotoCommands(program: Command): void {
  activationOptions(
    program
      .command('activate')
      .description('Activate photos: make them findable by the index after publication.')
      .argument('<inputs...>', 'image files or folders (folders are searched recursively)')
      .requiredOption('-o, --out <dir>', 'output folder (created if missing)')
      .option('--codebook <file|url>', 'codebook JSON (default: the shipped public/codebook.json)'),
  )
    .addOption(new Option('--format <format>', 'output format').choices(['png', 'jpeg']).default('png'))
    .option('--quality <q>', 'JPEG quality', integer, 95)
    .option('--keep-metadata', 'copy EXIF (camera, date, copyright...) from the original', false)
    .option('--force', 'overwrite existing outputs', false)
    .option('--threads <n>', 'onnxruntime threads', integer)
    .action(async (inputs: string[], opts) => {
      const { runActivate } = await import('./activate.ts');
      const summary = await runActivate(inputs, { ...opts, preset: opts.preset as PresetName }, cancellation());
      if (summary.failed > 0 || summary.cancelled) process.exitCode = 1;
    });

  program
    .command('train-index')
    .description('Train an index quantizer on image features and write the codebook JSON the browser pulls.')
    .option('--images <dirs...>', 'image files or folders to extract training features from')
    .option('--features <file.npy>', 'precomputed features (n x d float32 .npy) instead of images')
    .requiredOption('--factory <string>', 'faiss factory string, e.g. "IVF256,PQ8x8"')
    .requiredOption('-o, --out <file>', 'codebook JSON to write')
    .option('--faiss <file>', 'also write the trained (empty) index as a faiss file')
    .option(
      '--grid <n>',
      "also train on the n x n tiles of images whose tiles are at least the model's input size",
      integer,
      1,
    )
    .option('--cache <dir>', 'feature cache folder (shared with eval)', '.cache/findable')
    .option('--threads <n>', 'onnxruntime threads', integer)
    .action(async (opts) => {
      if (!opts.images && !opts.features)
        throw new FindableError('INVALID_ARGUMENT', 'Give --images DIR... or --features FILE.npy.');
      const { runTrainIndex } = await import('./train-index.ts');
      await runTrainIndex(opts, cancellation());
    });

  activationOptions(
    program
      .command('eval')
      .description("Reproduce the paper's evaluation: R@1 per transformation, passive vs activated.")
      .requiredOption('--refs <dir>', 'photos: split by photo into index-training and evaluation, tiled')
      .requiredOption('--distractors <dirs...>', 'folders of non-matching database images')
      .option('--train <dir>', 'index-training images (default: a third of --refs, by photo)')
      .requiredOption('--factory <string>', 'faiss factory string, e.g. "IVF64,PQ8x8"')
      .option('--nprobe <n>', 'lists probed per query', integer, 1)
      .option('--tile-side <px>', 'long side of each reference tile', integer, 512)
      .option('--max-distractors <n>', 'use only the first n distractors', integer)
      .option('--max-photos <n>', 'use only the first n photos', integer)
      .option('--ivf-flat-pull <share>', 'IVF-Flat target: share of the way to the centroid (paper: 1)', number)
      .option('--transforms <names>', `comma-separated subset of ${TRANSFORM_NAMES.join(',')}`)
      .option('--cache <dir>', 'feature cache folder', '.cache/findable')
      .requiredOption('--out <file>', 'report.json to write')
      .option('--md <file>', 'markdown table to write')
      .option('--diagnostics <file>', 'JSON to write: exact-search R@1 and IVF own-list rates per transformation'),
  ).action(async (opts) => {
    const transforms = opts.transforms ? (String(opts.transforms).split(',') as TransformName[]) : undefined;
    for (const t of transforms ?? []) {
      if (!TRANSFORM_NAMES.includes(t)) throw new FindableError('INVALID_ARGUMENT', `Unknown transformation "${t}".`);
    }
    const { loadNodeRuntime } = await import('../core/activation/runtime.node.ts');
    const { FeatureCache } = await import('../core/eval/feature-cache.node.ts');
    const { runEvaluation, reportMarkdown } = await import('../core/eval/protocol.node.ts');
    const { cpus } = await import('node:os');
    const runtime = await loadNodeRuntime({});
    // --seed drives the split and the transformations; the activation's own seed stays the preset's.
    const settings = settingsFromOptions({ ...opts, preset: opts.preset as PresetName, seed: undefined });
    try {
      const { report, diagnostics } = await runEvaluation(runtime, {
        refsDir: opts.refs,
        distractorsDir: opts.distractors,
        trainDir: opts.train,
        factory: opts.factory,
        nprobe: opts.nprobe,
        seed: opts.seed ?? 0,
        settings,
        tileSide: opts.tileSide,
        maxDistractors: opts.maxDistractors,
        maxPhotos: opts.maxPhotos,
        ivfFlatTargetPull: opts.ivfFlatPull,
        transforms,
        cache: new FeatureCache(opts.cache, runtime.manifest.sha256, runtime.dim),
        signal: cancellation(),
        log: (m) => process.stderr.write(`${m}\n`),
      });
      writeFileSync(opts.out, `${JSON.stringify(report, null, 2)}\n`);
      if (opts.diagnostics) writeFileSync(opts.diagnostics, `${JSON.stringify(diagnostics, null, 2)}\n`);
      const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, onnxruntime-node CPU`;
      const md = reportMarkdown(report, `Extractor ${runtime.manifest.id}; machine: ${machine}.`, diagnostics);
      process.stdout.write(md);
      if (opts.md) writeFileSync(opts.md, md);
    } finally {
      await runtime.release();
    }
  });
}
