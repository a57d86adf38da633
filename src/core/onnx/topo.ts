/** Topological ordering of graph nodes (Kahn's algorithm, stable with respect to the original order). */
import { FindableError } from '../errors.ts';
import type { Graph, Node } from './model.ts';

/** Values a node reads, including outer-scope values used inside its subgraphs (If/Loop bodies). */
function nodeDeps(n: Node): string[] {
  const deps = n.inputs.filter((i) => i !== '');
  for (const a of Object.values(n.attributes)) {
    if (a.type !== 'graph') continue;
    const local = new Set<string>([
      ...a.value.inputs.map((i) => i.name),
      ...a.value.initializers.map((i) => i.name),
      ...a.value.nodes.flatMap((m) => m.outputs),
    ]);
    for (const m of a.value.nodes) for (const d of nodeDeps(m)) if (!local.has(d)) deps.push(d);
  }
  return deps;
}

/**
 * Returns the nodes in an order where every node comes after the producers of its inputs.
 * Throws MODEL_INVALID on a cycle or on an input that nothing provides (outerScope lists values
 * provided from outside, for subgraphs).
 */
export function topologicalSort(graph: Graph, outerScope: Iterable<string> = []): Node[] {
  const available = new Set<string>([
    ...outerScope,
    ...graph.inputs.map((i) => i.name),
    ...graph.initializers.map((i) => i.name),
  ]);
  const producer = new Map<string, number>();
  graph.nodes.forEach((n, i) => {
    for (const o of n.outputs) if (o) producer.set(o, i);
  });
  const indeg = new Array<number>(graph.nodes.length).fill(0);
  const users = new Map<number, number[]>();
  graph.nodes.forEach((n, i) => {
    for (const d of new Set(nodeDeps(n))) {
      if (available.has(d) && !producer.has(d)) continue;
      const p = producer.get(d);
      if (p === undefined) {
        throw new FindableError(
          'MODEL_INVALID',
          `Input '${d}' of ${n.opType} node '${n.name}' is not produced by any node.`,
          {
            node: n.name,
            value: d,
          },
        );
      }
      indeg[i]++;
      const u = users.get(p);
      if (u) u.push(i);
      else users.set(p, [i]);
    }
  });
  // Ready nodes are processed in original index order (a small binary heap keeps this O(n log n)).
  const heap: number[] = [];
  const push = (v: number) => {
    heap.push(v);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p] <= heap[i]) break;
      [heap[p], heap[i]] = [heap[i], heap[p]];
      i = p;
    }
  };
  const pop = (): number => {
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && heap[l] < heap[m]) m = l;
        if (r < heap.length && heap[r] < heap[m]) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i], heap[m]];
        i = m;
      }
    }
    return top;
  };
  indeg.forEach((d, i) => {
    if (d === 0) push(i);
  });
  const order: Node[] = [];
  while (heap.length > 0) {
    const i = pop();
    order.push(graph.nodes[i]);
    for (const u of users.get(i) ?? []) if (--indeg[u] === 0) push(u);
  }
  if (order.length !== graph.nodes.length) {
    const stuck = graph.nodes.find((_, i) => indeg[i] > 0)!;
    throw new FindableError('MODEL_INVALID', `Graph has a cycle through ${stuck.opType} node '${stuck.name}'.`, {
      node: stuck.name,
    });
  }
  return order;
}
