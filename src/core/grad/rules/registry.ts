/** Op type -> VJP rule, and ops through which no gradient flows. */
import { ARITH_RULES } from './arith.ts';
import { CONV_RULES } from './conv.ts';
import { ELEMENTWISE_RULES } from './elementwise.ts';
import { LINEAR_RULES } from './linear.ts';
import { NORM_RULES } from './norm.ts';
import { POOL_RULES } from './pool.ts';
import { REDUCE_RULES } from './reduce.ts';
import { SHAPE_RULES } from './shape.ts';
import type { VjpRule } from './types.ts';

export const VJP_RULES: Record<string, VjpRule> = {
  ...ELEMENTWISE_RULES,
  ...ARITH_RULES,
  ...LINEAR_RULES,
  ...SHAPE_RULES,
  ...REDUCE_RULES,
  ...NORM_RULES,
  ...CONV_RULES,
  ...POOL_RULES,
};

/** Outputs are integers/booleans or piecewise constant: their gradient is zero, nothing flows back. */
export const NON_DIFFERENTIABLE = new Set([
  'Shape',
  'Size',
  'Equal',
  'Greater',
  'Less',
  'GreaterOrEqual',
  'LessOrEqual',
  'And',
  'Or',
  'Not',
  'Xor',
  'ArgMax',
  'ArgMin',
  'NonZero',
  'Constant',
  'ConstantOfShape',
  'Range',
  'Floor',
  'Ceil',
  'Round',
  'Sign',
  'IsNaN',
  'IsInf',
]);

/** Op types with a VJP rule. */
export function supportedOps(): string[] {
  return Object.keys(VJP_RULES).sort();
}
