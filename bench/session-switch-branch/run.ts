/**
 * Switching branch: POST /api/sessions/{id}/path between two versions of a message, in a session
 * whose active path is 1,010 messages long. The versions differ from depth 1,000 down (10 messages
 * change) or from depth 10 down (1,000 messages change): the cost follows the part that changes,
 * not the session's size. For scale, the same run times a plain read of a 50-message history page
 * (the baseline: one request doing one LRANGE), and prints each switch's cost relative to it.
 *
 *   npm run bench:switch-branch      (BENCH_SKIP_BUILD=1 reuses the last build; BENCH_RUNS, BENCH_SWITCHES)
 */
import { buildServer, startFakeModel, startNono, startRedis } from '../common/processes';
import { ms, percentile, table } from '../common/stats';
import { guestIdentity, postJson } from '../common/api';

const LENGTH = 1010;
const RUNS = Math.max(3, Number(process.env.BENCH_RUNS ?? 5));
/** Switches per run (alternating between the two versions); a run's figure is their median. */
const SWITCHES = Number(process.env.BENCH_SWITCHES ?? 20);

type Post = (path: string, body: unknown) => Promise<Record<string, any>>;

async function main(): Promise<void> {
  const serverMain = buildServer();
  const redis = await startRedis();
  const fake = await startFakeModel({ chunkDelayMs: 0 });
  const nono = await startNono(serverMain, redis.url, fake.url, { MAX_MESSAGES_PER_SESSION: '0', CONTEXT_TOKEN_BUDGET: '2000' });
  try {
    const { auth } = await guestIdentity(nono.url);
    const post: Post = (path, body) => postJson(nono.url, path, body, auth);
    const session = await post('/api/sessions', {});
    const base = `/api/sessions/${session.session_id}`;
    process.stdout.write(`filling a session: ${LENGTH} messages on the main path, a 10-message version at depth 1,000 and a ${LENGTH - 10}-message one at depth 10…\n`);
    // Main path: user messages at odd depths, answers at even ones.
    const main = await turns(post, base, LENGTH / 2, null, 'main');
    const shallow = await turns(post, base, (LENGTH - 10) / 2, main[4].assistant, 'shallow'); // beside the user message at depth 11
    const deep = await turns(post, base, 5, main[1000 / 2 - 1].assistant, 'deep'); // beside the user message at depth 1,001
    const cases: Array<[string, string, string]> = [
      ['fork at depth 1,000 (10 messages change)', main[1000 / 2].user, deep[0].user],
      ['fork at depth 10 (1,000 messages change)', main[10 / 2].user, shallow[0].user],
    ];
    const read = () => timed(() => fetch(`${nono.url}${base}/messages?limit=50`, { headers: auth }).then((r) => r.text()));
    const rows = [['', 'median of runs', 'spread (min–max)', 'vs baseline read']];
    const readRuns: number[] = [];
    for (let run = 0; run < RUNS; run++) readRuns.push(percentile(await repeat(SWITCHES, read), 50));
    const baseline = percentile(readRuns, 50);
    rows.push(['baseline: GET 50 messages', ms(baseline, 2), `${ms(Math.min(...readRuns), 2)} – ${ms(Math.max(...readRuns), 2)}`, '1.0×']);
    for (const [label, a, b] of cases) {
      const runs: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        let to = a;
        runs.push(percentile(await repeat(SWITCHES, async () => {
          to = to === a ? b : a;
          return timed(() => post(`${base}/path`, { message_id: to }));
        }), 50));
      }
      const history = await post(`${base}/path`, { message_id: a });
      if (history.message_count !== LENGTH) throw new Error(`switching gave a path of ${history.message_count} messages, not ${LENGTH}`);
      const median = percentile(runs, 50);
      rows.push([`switch, ${label}`, ms(median, 2), `${ms(Math.min(...runs), 2)} – ${ms(Math.max(...runs), 2)}`, `${(median / baseline).toFixed(1)}×`]);
    }
    process.stdout.write(`\nPOST .../path in a ${LENGTH}-message session, ${RUNS} runs × ${SWITCHES} switches (median per run)\n${table(rows)}\n`);
  } finally {
    await nono.stop();
    await fake.stop();
    await redis.stop();
  }
}

/** `count` answered turns, the first one below `parent` (null: after the active path's end). */
async function turns(post: Post, base: string, count: number, parent: string | null, label: string): Promise<Array<{ user: string; assistant: string }>> {
  const out: Array<{ user: string; assistant: string }> = [];
  for (let i = 0; i < count; i++) {
    const body = i === 0 && parent !== null ? { content: `${label} ${i}`, parent_id: parent } : { content: `${label} ${i}` };
    const turn = await post(`${base}/messages`, body);
    out.push({ user: turn.user_message.id as string, assistant: turn.assistant_message.id as string });
  }
  return out;
}

async function repeat(times: number, run: () => Promise<number>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) samples.push(await run());
  return samples;
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
