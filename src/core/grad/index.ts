/** Public API of the ONNX reverse-mode differentiation (see README.md). */
export { VjpContext } from './context.ts';
export {
  type AppendGradientOptions,
  appendGradient,
  type GradientModel,
  type GradientModelOptions,
  gradientModel,
} from './gradient.ts';
export { supportedOps } from './rules/registry.ts';
export type { VjpRule } from './rules/types.ts';
