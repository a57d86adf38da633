/**
 * `npm run bench [-- suite...]`: runs the benchmark suites in bench/suites/, prints a markdown table and
 * writes bench/results/latest.json and latest.md (plus a dated copy). Each suite runs in this process,
 * one after the other, so peak-memory figures are per suite only where the suite measures them itself.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchContext, BenchRecord, BenchSuite } from './suite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function formatValue(r: BenchRecord): string {
  const v = Math.abs(r.value) >= 100 ? r.value.toFixed(0) : r.value.toPrecision(3);
  return `${v} ${r.unit}`;
}

export function toMarkdown(records: BenchRecord[], machine: string): string {
  const lines = [
    `Machine: ${machine}`,
    '',
    '| suite | benchmark | value | p90 | params | target |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of records) {
    const params = r.params
      ? Object.entries(r.params)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')
      : '';
    const target = r.target ? `${r.target} ${r.met ? '(met)' : '(NOT met)'}` : '';
    const p90 = r.timing ? `${r.timing.p90Ms.toFixed(1)} ms` : '';
    lines.push(`| ${r.suite} | ${r.name} | ${formatValue(r)} | ${p90} | ${params} | ${target} |`);
  }
  return `${lines.join('\n')}\n`;
}

async function loadSuites(): Promise<BenchSuite[]> {
  const dir = join(root, 'bench', 'suites');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.bench.ts'))
    .sort();
  const suites: BenchSuite[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { suite: BenchSuite };
    suites.push(mod.suite);
  }
  return suites;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const suites = (await loadSuites()).filter((s) => wanted.length === 0 || wanted.includes(s.name));
  if (suites.length === 0) {
    console.error(`No benchmark suite matches ${wanted.join(', ')}.`);
    process.exit(2);
  }
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  const ctx: BenchContext = {
    root,
    corpusDir: join(root, '..', 'shared', 'corpus'),
    quick: process.env.FINDABLE_BENCH_QUICK === '1',
    log: (m) => console.log(`  ${m}`),
  };
  const records: BenchRecord[] = [];
  for (const s of suites) {
    console.log(`# ${s.name}: ${s.description}`);
    records.push(...(await s.run(ctx)));
  }
  const md = toMarkdown(records, machine);
  console.log(`\n${md}`);
  const out = join(root, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const json = JSON.stringify({ machine, date: new Date().toISOString(), records }, null, 2);
  for (const name of ['latest', stamp]) {
    writeFileSync(join(out, `${name}.json`), json);
    writeFileSync(join(out, `${name}.md`), md);
  }
  console.log(`Wrote ${join('bench', 'results', 'latest.json')} and latest.md`);
}

await main();
