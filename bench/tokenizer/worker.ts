/**
 * One package in its own process (so that its build time and memory are its own): prints one JSON
 * line with the build figures, the bounded count times per input and the unbounded one-letter times.
 *
 *   node --expose-gc -r ts-node/register/transpile-only bench/tokenizer/worker.ts <package> <runs>
 */
import { countBounded } from '../../server/llm/bounded-count';
import { INPUTS, ORDINARY } from './inputs';
import { PACKAGES } from './packages';

export interface WorkerResult {
  name: string;
  buildMs: number;
  heapMb: number;
  rssMb: number;
  /** Input name → milliseconds of each timed run: wall clock, and CPU time of this process. */
  times: Record<string, number[]>;
  cpu: Record<string, number[]>;
  /** The same with no time budget (parts only): the package's own speed. Wall clock and CPU time. */
  unguarded: Record<string, number[]>;
  unguardedCpu: Record<string, number[]>;
  /** Input name → bounded count; for ordinary text also whether it equals the unbounded count. */
  counts: Record<string, { tokens: number; exact?: boolean }>;
  /** Unbounded count of one letter repeated: length → milliseconds. */
  unbounded: Record<string, number>;
}

const UNBOUNDED_LENGTHS: Record<string, number[]> = {
  'js-tiktoken': [1000, 2000, 4000],
  'gpt-tokenizer': [4000, 8000, 16000],
  tiktoken: [4000, 8000, 16000],
};

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const mem = () => {
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.external, rss: m.rss };
};

function main(): void {
  const [name, runsArg] = process.argv.slice(2);
  const runs = Number(runsArg ?? 7);
  const before = mem();
  const started = performance.now();
  const counter = PACKAGES[name]();
  counter.count('warm up the encoder');
  const buildMs = performance.now() - started;
  const after = mem();
  const result: WorkerResult = {
    name,
    buildMs,
    heapMb: mb(after.heap - before.heap),
    rssMb: mb(after.rss - before.rss),
    times: {},
    cpu: {},
    unguarded: {},
    unguardedCpu: {},
    counts: {},
    unbounded: {},
  };
  for (const [input, make] of Object.entries(INPUTS)) {
    for (let seed = 1; seed <= 2; seed++) countBounded(make(1000 + seed), counter.count); // JIT warm-up
    const times: number[] = [];
    const cpu: number[] = [];
    for (let run = 0; run < runs; run++) {
      const text = make(run + 1);
      counter.forget();
      const usage = process.cpuUsage();
      const t = performance.now();
      const tokens = countBounded(text, counter.count);
      times.push(performance.now() - t);
      const used = process.cpuUsage(usage);
      cpu.push((used.user + used.system) / 1000);
      if (run === 0) result.counts[input] = { tokens, exact: ORDINARY.has(input) ? counter.count(text) === tokens : undefined };
    }
    result.times[input] = times;
    result.cpu[input] = cpu;
    result.unguarded[input] = [];
    result.unguardedCpu[input] = [];
    for (let run = 0; run < Math.min(runs, 3); run++) {
      const text = make(100 + run);
      counter.forget();
      const usage = process.cpuUsage();
      const t = performance.now();
      countBounded(text, counter.count, () => 0);
      result.unguarded[input].push(performance.now() - t);
      const used = process.cpuUsage(usage);
      result.unguardedCpu[input].push((used.user + used.system) / 1000);
    }
  }
  for (const length of UNBOUNDED_LENGTHS[name]) {
    counter.forget();
    const t = performance.now();
    counter.count('a'.repeat(length));
    result.unbounded[length] = performance.now() - t;
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

main();
