/** Public API of the ONNX graph library (see README.md). */
export {
  type AttrInput,
  attr,
  attrFloat,
  attrFloats,
  attrInt,
  attrInts,
  attrString,
  attrTensor,
  toAttribute,
} from './attributes.ts';
export { type BuilderOptions, GraphBuilder, type NodeOptions, type OutputOptions } from './builder.ts';
export { allocArray, DTYPE_BYTES, dtypeOfArray, toNumberArray } from './dtypes.ts';
export * from './model.ts';
export { loadModel, saveModel } from './proto-io.ts';
export {
  broadcastShapes,
  inferGraphShapes,
  inferShapes,
  isStatic,
  type ShapeInfo,
  sliceRange,
  type TypeInfo,
} from './shapes.ts';
export { topologicalSort } from './topo.ts';
