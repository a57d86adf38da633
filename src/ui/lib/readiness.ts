/**
 * Readiness milestones of the page, for end-to-end tests and the browser benchmark
 * (bench/suites/browser.bench.ts): a data attribute on <html> (data-drop-ready, data-engine-ready) and a
 * performance mark `findable:<name>` whose startTime is measured from navigation start. Set once per page.
 */
export type Milestone = 'dropReady' | 'engineReady';

export function markReady(name: Milestone): void {
  const root = document.documentElement;
  if (root.dataset[name] === 'true') return;
  root.dataset[name] = 'true';
  performance.mark(`findable:${name}`);
}
