/**
 * The shipped extractor's whole input gradient: our gradient graph (src/core/grad, float32 on
 * onnxruntime-node) vs PyTorch float64 autograd on the same ONNX weights, through an ONNX interpreter written
 * in PyTorch (scripts/oracles/grad_extractor_torch.py -> __fixtures__/extractor_grad/). Tolerance: max abs
 * error / max |reference| < 1e-3 (issue text); the interpreter's forward output must also match
 * onnxruntime-node's to 1e-4, which validates the interpreter itself.
 *
 * The fixture belongs to one model file (its sha256 is stored). When public/models/extractor.onnx is
 * rebuilt with different bytes this test is skipped with a message; regenerate with
 *   /usr/bin/python3 scripts/oracles/grad_extractor_torch.py
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { gradientModel } from '../grad/index.ts';
import { loadModel, saveModel } from '../onnx/proto-io.ts';

const here = dirname(fileURLToPath(import.meta.url));
const MODEL = resolve(here, '../../../public/models/extractor.onnx');
const FIXTURE = join(here, '__fixtures__', 'extractor_grad');
const REGENERATE = '/usr/bin/python3 scripts/oracles/grad_extractor_torch.py';

interface Meta {
  model_sha256: string;
  input: string;
  output: string;
  x_dims: number[];
  y_dims: number[];
  layout: { name: string; dtype: 'uint8' | 'float32'; offset: number; length: number }[];
}

const metaPath = join(FIXTURE, 'extractor_grad.json');
const meta = existsSync(metaPath) ? (JSON.parse(readFileSync(metaPath, 'utf8')) as Meta) : undefined;
const modelBytes = existsSync(MODEL) ? new Uint8Array(readFileSync(MODEL)) : undefined;
const modelSha = modelBytes ? createHash('sha256').update(modelBytes).digest('hex') : undefined;
const skipReason = !modelBytes
  ? `${MODEL} does not exist (run "npm run models")`
  : !meta
    ? `the fixture ${metaPath} does not exist: generate it with "${REGENERATE}"`
    : modelSha !== meta.model_sha256
      ? `public/models/extractor.onnx (sha256 ${modelSha?.slice(0, 12)}…) is not the model the fixture was made ` +
        `from (${meta.model_sha256.slice(0, 12)}…): regenerate the fixture with "${REGENERATE}"`
      : undefined;
if (skipReason) console.warn(`extractor-grad.test.ts skipped: ${skipReason}`);

function arrays(meta: Meta) {
  const raw = readFileSync(join(FIXTURE, 'extractor_grad.bin'));
  const buf = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
  const get = (name: string) => {
    const e = meta.layout.find((l) => l.name === name);
    if (!e) throw new Error(`fixture has no ${name}`);
    return e.dtype === 'uint8' ? new Uint8Array(buf, e.offset, e.length) : new Float32Array(buf, e.offset, e.length);
  };
  const q = get('x_uint8');
  return { x: Float32Array.from(q, (v) => v / 255), u: get('u') as Float32Array, y: get('y'), gx: get('gx') };
}

function errors(got: Float32Array, want: ArrayLike<number>): { relMax: number; relL2: number } {
  let e = 0;
  let m = 0;
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    const d = got[i] - want[i];
    e = Math.max(e, Math.abs(d));
    m = Math.max(m, Math.abs(want[i]));
    num += d * d;
    den += want[i] * want[i];
  }
  return { relMax: e / m, relL2: Math.sqrt(num / den) };
}

describe('the shipped extractor: input gradient vs PyTorch float64 autograd', () => {
  it.skipIf(skipReason !== undefined)(
    'forward within 1e-4 and gradient within 1e-3 (max err / max |ref|)',
    async () => {
      if (!meta || !modelBytes) throw new Error('unreachable: skipped');
      const ref = arrays(meta);
      const forward = loadModel(modelBytes);
      const { model, gradOutputs, upstreamInput } = gradientModel(forward, {
        of: meta.output,
        wrt: meta.input,
        upstream: 'input',
        inputShapes: { [meta.input]: meta.x_dims },
      });
      const session = await ort.InferenceSession.create(saveModel(model), {
        executionProviders: ['cpu'],
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
      });
      const out = await session.run({
        [meta.input]: new ort.Tensor('float32', ref.x, meta.x_dims),
        [upstreamInput as string]: new ort.Tensor('float32', ref.u, meta.y_dims),
      });
      await session.release();
      const y = errors(out[meta.output].data as Float32Array, ref.y);
      const gx = errors(out[gradOutputs[0]].data as Float32Array, ref.gx);
      console.log(
        `extractor: forward max err / max |ref| ${y.relMax.toExponential(2)}; gradient max err / max |ref| ` +
          `${gx.relMax.toExponential(2)}, rel L2 ${gx.relL2.toExponential(2)}`,
      );
      expect(y.relMax).toBeLessThan(1e-4);
      expect(gx.relMax).toBeLessThan(1e-3);
      expect(gx.relL2).toBeLessThan(1e-3);
    },
  );
});
