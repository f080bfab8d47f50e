/**
 * Token counting: the three o200k_base packages (gpt-tokenizer, tiktoken, js-tiktoken), each in its
 * own process, counting 32,000-character messages through the server's bound (bounded-count.ts):
 * ordinary text and adversarial text (one letter repeated, random letters, CJK, emoji, ZWJ
 * sequences, digits, whitespace, mixed). Every timed run counts text the package has not seen, with
 * its caches emptied. Prints per input the median and worst wall-clock time (what blocks the event
 * loop) and the median CPU time (less sensitive to other processes on the machine) against the
 * 20 ms target (the server's time budget applies, so adversarial text may end in an estimate), the
 * same without the time budget (each package's own speed), then each package's build time and
 * memory, and its unbounded time on one letter repeated (the quadratic behaviour the bound removes).
 *
 *   npm run bench:tokenizer      (BENCH_RUNS=7 timed runs per input, BENCH_PACKAGES=tiktoken,...)
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { INPUTS, LENGTH } from './inputs';
import { PACKAGES } from './packages';
import type { WorkerResult } from './worker';
import { ms, percentile, table } from '../common/stats';

const TARGET_MS = 20;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const NAMES = process.env.BENCH_PACKAGES?.split(',') ?? Object.keys(PACKAGES);

function runWorker(name: string): WorkerResult {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '-r', 'ts-node/register/transpile-only', 'bench/tokenizer/worker.ts', name, String(RUNS)],
    { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 },
  );
  return JSON.parse(out.trim().split('\n').pop() as string) as WorkerResult;
}

const median = (samples: number[]) => percentile(samples, 50);
const max = (samples: number[]) => Math.max(...samples);
const mark = (value: number) => (value <= TARGET_MS ? '' : ' !');

function main(): void {
  console.log(`Counting ${LENGTH}-character messages, ${RUNS} timed runs each (target ≤ ${TARGET_MS} ms); load average ${loadAverage()}.`);
  const results = NAMES.map((name) => {
    console.log(`… ${name}`);
    return runWorker(name);
  });

  const header = ['input', ...results.flatMap((r) => [`${r.name} median`, 'worst', 'cpu', 'tokens'])];
  const rows = Object.keys(INPUTS).map((input) => [
    input,
    ...results.flatMap((r) => {
      const wall = r.times[input];
      const exact = r.counts[input].exact === false ? ' (inexact)' : '';
      return [ms(median(wall)) + mark(median(wall)), ms(max(wall)) + mark(max(wall)), ms(median(r.cpu[input])), `${r.counts[input].tokens}${exact}`];
    }),
  ]);
  console.log('\nBounded counts, wall clock (median, worst) and CPU time (median); "!" marks over the target:');
  console.log(table([header, ...rows]));

  const unguardedRows = Object.keys(INPUTS).map((input) => [
    input,
    ...results.flatMap((r) => [ms(median(r.unguarded[input])), ms(median(r.unguardedCpu[input]))]),
  ]);
  console.log('\nThe same without the time budget (long runs in parts only), median wall clock and CPU time:');
  console.log(table([['input', ...results.flatMap((r) => [r.name, 'cpu'])], ...unguardedRows]));

  console.log('\nPer package:');
  const summary = results.map((r) => {
    const all = Object.values(r.times).flat();
    const medians = Object.values(r.times).map(median);
    const cpuMedians = Object.values(r.cpu).map(median);
    const unbounded = Object.entries(r.unbounded).map(([length, t]) => `${length}: ${ms(t, 0)}`).join(', ');
    return [r.name, ms(r.buildMs, 0), `${r.heapMb} MB`, `${r.rssMb} MB`, ms(max(medians)), ms(max(all)), ms(max(cpuMedians)), unbounded];
  });
  console.log(
    table([
      ['package', 'build', 'heap+external', 'rss', 'worst median', 'worst run', 'worst cpu median', 'unbounded, one letter × length'],
      ...summary,
    ]),
  );
}

function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
}

main();
