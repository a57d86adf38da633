/** A VJP rule appends the gradients of a node's active inputs, given its output gradients. */
import type { VjpContext } from '../context.ts';

export type VjpRule = (ctx: VjpContext) => void;
