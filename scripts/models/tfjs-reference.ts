/**
 * Reference: runs the original nsfwjs graph model with @tensorflow/tfjs (pure-JS CPU backend), loaded from an
 * in-memory IO handler. Used by the parity test only (it is slow: about a second per image).
 */
import * as tf from '@tensorflow/tfjs';
import type { NsfwjsModel } from './nsfwjs-reader.ts';

/** TF node names of the outputs we compare. */
export const TF_POOLED_NODE =
  'StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict/feature_vector/SpatialSqueeze';
export const TF_LOGITS_NODE = 'StatefulPartitionedCall/sequential/dense/BiasAdd';

export interface TfjsReference {
  /** NCHW float32 [n,3,224,224] in [0,1] -> named outputs, each [n, dim] row-major. */
  run(nchw: Float32Array, n: number, nodes: string[]): Promise<Float32Array[]>;
  dispose(): void;
}

export async function loadTfjsReference(model: NsfwjsModel): Promise<TfjsReference> {
  await tf.setBackend('cpu');
  await tf.ready();
  const weightData = model.weightData.buffer.slice(
    model.weightData.byteOffset,
    model.weightData.byteOffset + model.weightData.byteLength,
  ) as ArrayBuffer;
  const handler = tf.io.fromMemory({
    modelTopology: model.modelJson.modelTopology as unknown as object,
    format: model.modelJson.format,
    generatedBy: model.modelJson.generatedBy,
    convertedBy: model.modelJson.convertedBy,
    weightSpecs: model.weightSpecs as unknown as tf.io.WeightsManifestEntry[],
    weightData,
  });
  const graph = await tf.loadGraphModel(handler);
  return {
    async run(nchw, n, nodes) {
      const outs = tf.tidy(() => {
        const x = tf.tensor4d(nchw, [n, 3, 224, 224]).transpose([0, 2, 3, 1]);
        const r = graph.execute(x, nodes);
        return Array.isArray(r) ? r : [r];
      });
      const data = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
      tf.dispose(outs);
      return data;
    },
    dispose() {
      graph.dispose();
    },
  };
}
