/**
 * bench:search — full-text search at scale, against a full scan of the same data in the same run.
 *
 * One identity with SESSIONS sessions of 100 messages each (10,000 / 1,000,000 at SCALE=1) and
 * 1,000 other identities (2 sessions of 10 messages each), written into a throwaway redis-server
 * with the repositories' own encoders and index code, as raw bulk writes (redis-cli --pipe; the
 * corpus' words give each message's terms, checked against the text analysis on a sample).
 * BENCH_REDIS_PORT: use (and keep) the redis-server on that port; filled once per SCALE, later
 * runs reuse its data (and the memory figures measured while filling). Prints:
 *   - search latency p50/p99 (SearchService, as GET /api/search runs it; targets 20 / 100 ms)
 *   - the same queries as a full scan of the identity's messages (the baseline), and the ratio
 *   - index write cost per appended message: extra Redis CPU time (INFO cpu, main thread) and bytes
 *     sent (total_net_input_bytes), with and without the index (target ≤ 30 %); and the deferred
 *     part, paid by the identity's next search (taking the new messages into the index). The append
 *     is chat's own message-store transactions (see appendCost); measured in new sessions of a new
 *     identity, in the big identity's long sessions last written a day ago, and in the same
 *     sessions again at once (bench/search/README.md)
 *   - memory per indexed message (used_memory with and without the index entries)
 * SCALE (default 0.1) scales the number of sessions of the big identity; the measures are taken RUNS
 * times (default 3) over the same data, and their median and spread printed.
 */
import type Redis from 'ioredis';
import { sessionsSettings } from '../../server/config/config';
import { RedisKeys } from '../../server/redis/redis-keys';
import type { Store, StoreTransaction } from '../../server/redis/store';
import { defineStoreScripts } from '../../server/redis/store-scripts';
import { FIRST_HISTORY_FETCH } from '../../server/chat/chat.service';
import { BatchItem, batchSegment, changeStamp, MAX_MERGE_LEVEL, MERGE_FANOUT, SearchIndexRepository } from '../../server/search/search-index.repository';
import { BuiltSegment, mergeSegments } from '../../server/search/search-segments';
import { CATCH_UP_SLACK_MS, SearchService } from '../../server/search/search.service';
import { foldWord, MAX_TERM_LENGTH, mayMatch, parseQuery, queryWordsFound, termsOf, wordsOf } from '../../server/search/text-analysis';
import type { StoredMessage } from '../../server/sessions/session.model';
import { childrenField, encodeMessage, encodeNode, encodeSessionFields, HISTORY_HEAD, LEAF_FIELD, nodeField } from '../../server/sessions/session-record';
import { SessionsRepository } from '../../server/sessions/sessions.repository';
import { percentile, table } from '../common/stats';
import { startRedis } from '../sessions-list/redis-server';
import { Corpus } from './corpus';
import { RespPipe } from './resp-pipe';

const SCALE = Number(process.env.SCALE ?? '0.1');
const SESSIONS = Math.max(10, Math.round(10_000 * SCALE));
const MESSAGES_PER_SESSION = 100;
const OTHERS = 1000;
const OTHER_SESSIONS = 2;
const OTHER_MESSAGES = 10;
const REUSE_PORT = process.env.BENCH_REDIS_PORT ? Number(process.env.BENCH_REDIS_PORT) : undefined;
const SEARCH_REPEATS = Number(process.env.REPEATS ?? '20');
const WRITE_APPENDS = Number(process.env.APPENDS ?? '2000');
/** Sessions the appends of one write measure are spread over. */
const WRITE_SESSIONS = 50;
/** Catch-ups of the long-run measure (LONG_RUN=0 leaves it out), and messages per session before each. */
const LONG_RUN_ROUNDS = Number(process.env.LONG_RUN ?? MERGE_FANOUT ** (MAX_MERGE_LEVEL - 1));
const LONG_RUN_TURNS = 8;
const RUNS = Number(process.env.RUNS ?? '3');

const ME = 'u_benchsearchme0000000000';
const keys = new RedisKeys({ keyPrefix: 'bench' });

type Pipe = StoreTransaction;

function sessionId(user: number, i: number): string {
  return `s_${String(user).padStart(6, '0')}${String(i).padStart(16, '0')}`;
}

type BenchMessage = StoredMessage & { terms: string[] };

/** The terms of a message made of these corpus words: what termsOf gives for its text, without segmenting it. */
function termsOfWords(words: string[]): string[] {
  const terms = new Set<string>();
  for (const word of words) {
    const term = foldWord(word);
    if (term.length > 0 && term.length <= MAX_TERM_LENGTH) terms.add(term);
  }
  return [...terms];
}

function messagesFor(corpus: Corpus, count: number, start: number, id: string): BenchMessage[] {
  return Array.from({ length: count }, (_, j) => ({
    id: `m_${id}_${j}`,
    role: j % 2 === 0 ? 'user' : 'assistant',
    content: corpus.message(),
    terms: termsOfWords(corpus.lastWords),
    created_at: start + j,
  }));
}

/** Fails unless the corpus-derived terms are the text analysis' terms, on a sample of messages. */
function checkTerms(): void {
  const corpus = new Corpus();
  for (const m of messagesFor(corpus, 2000, 0, 'check')) {
    const expected = termsOf(m.content).sort().join(' ');
    if (m.terms.slice().sort().join(' ') !== expected) throw new Error(`corpus terms differ from termsOf for ${JSON.stringify(m.content)}`);
  }
}

/** The session's hash, list and list entry, as the sessions repository writes them. */
function writeSession(pipe: Pipe, userId: string, id: string, title: string, messages: StoredMessage[], at: number): void {
  messages = messages.map(({ terms: _terms, ...m }: Partial<BenchMessage>) => m as StoredMessage);
  pipe.hset(keys.session(userId, id), encodeSessionFields({
    display_name: title, persona: 'default', metadata: {}, created_at: at, last_activity: at,
    message_count: messages.length, pinned: false, touched_at: at,
  }));
  const tree: Record<string, string> = { [childrenField(null)]: JSON.stringify(messages.length > 0 ? [messages[0].id] : []) };
  messages.forEach((m, i) => {
    tree[nodeField(m.id)] = encodeNode({ ...m, parent_id: i === 0 ? null : messages[i - 1].id }, i + 1);
    if (i + 1 < messages.length) tree[childrenField(m.id)] = JSON.stringify([messages[i + 1].id]);
  });
  pipe.hset(keys.session(userId, id), LEAF_FIELD, messages.length > 0 ? messages[messages.length - 1].id : '');
  pipe.hset(keys.messageTree(userId, id), tree);
  pipe.rpush(keys.messages(userId, id), HISTORY_HEAD, ...messages.map(encodeMessage));
  pipe.zadd(keys.sessionIndex(userId), at, id);
}

/**
 * An identity's index as its catch-ups would leave it, written in bulk: batches of FILL_BATCH
 * sessions, each a segment of level 0, merged as the repository merges them (MERGE_FANOUT of a
 * level into one of the next); only the segments left are written.
 */
class IndexFill {
  private readonly levels: Array<Array<{ segment: BuiltSegment; messages: number }>> = [];
  private nextNumber = 1;
  private nextSegment = 1;

  constructor(private readonly index: SearchIndexRepository, private readonly userId: string) {}

  async add(pipe: Pipe, sessions: Array<{ id: string; title: string; messages: StoredMessage[]; at: number }>, at: number): Promise<void> {
    const items: BatchItem[] = sessions.map((s) => ({ sessionId: s.id, number: this.nextNumber++, fresh: true, firstSeq: 0, title: s.title, stamp: changeStamp(s.at, s.messages.length), messages: s.messages }));
    this.index.writeSessions(pipe, this.userId, items, at);
    const segment = batchSegment(items);
    if (segment) await this.push(0, segment, items.reduce((n, item) => n + item.messages.length, 0));
  }

  private async push(level: number, segment: BuiltSegment, messages: number): Promise<void> {
    (this.levels[level] ??= []).push({ segment, messages });
    if (level < MAX_MERGE_LEVEL && this.levels[level].length === MERGE_FANOUT) {
      const merged = await mergeSegments(this.levels[level].map((s) => s.segment.data), new Set());
      const total = this.levels[level].reduce((n, s) => n + s.messages, 0);
      this.levels[level] = [];
      await this.push(level + 1, merged, total);
    }
  }

  finish(pipe: Pipe): void {
    this.levels.forEach((segments, level) => {
      for (const { segment, messages } of segments) this.index.writeSegment(pipe, this.userId, this.nextSegment++, segment, level, messages);
    });
    pipe.set(keys.searchNumberCounter(this.userId), this.nextNumber - 1);
    pipe.set(keys.searchSegmentCounter(this.userId), this.nextSegment - 1);
    this.index.setThrough(pipe, this.userId, Date.now());
  }
}

/** Sessions a catch-up takes in one batch at most. */
const FILL_BATCH = 50;

/** Writes the big identity's sessions (with or without index entries) as bulk writes. */
async function writeMine(port: number, index: SearchIndexRepository, what: 'data' | 'index'): Promise<void> {
  const corpus = new Corpus(); // same seed: the same texts in both passes
  // Written a day (and a second per session) ago, as a conversation resumed another day.
  const base = Date.now() - 86_400_000 - SESSIONS * 1000;
  const pipe = new RespPipe(port);
  const fill = new IndexFill(index, ME);
  let batch: Array<{ id: string; title: string; messages: StoredMessage[]; at: number }> = [];
  for (let i = 0; i < SESSIONS; i++) {
    const id = sessionId(0, i);
    const at = base + i * 1000;
    const title = `${corpus.wordAt(200 + (i % 5000))} ${corpus.wordAt(50 + (i % 300))}`;
    const messages = messagesFor(corpus, MESSAGES_PER_SESSION, at - MESSAGES_PER_SESSION, id);
    if (what === 'data') writeSession(pipe.tx, ME, id, title, messages, at);
    else batch.push({ id, title, at, messages: messages.map(({ terms: _terms, ...m }: Partial<BenchMessage>) => m as StoredMessage) });
    if (batch.length === FILL_BATCH || (i === SESSIONS - 1 && batch.length > 0)) {
      await fill.add(pipe.tx, batch, at);
      batch = [];
    }
    await pipe.flush();
  }
  if (what === 'index') fill.finish(pipe.tx);
  await pipe.close();
}

async function writeOthers(port: number, index: SearchIndexRepository): Promise<void> {
  const corpus = new Corpus(30_000, 7);
  const pipe = new RespPipe(port);
  for (let user = 1; user <= OTHERS; user++) {
    const userId = `u_benchsearch${String(user).padStart(12, '0')}`;
    const sessions = Array.from({ length: OTHER_SESSIONS }, (_, i) => {
      const id = sessionId(user, i);
      const at = Date.now();
      const messages = messagesFor(corpus, OTHER_MESSAGES, at - 100, id);
      writeSession(pipe.tx, userId, id, `Other ${i}`, messages, at);
      return { id, title: `Other ${i}`, at, messages: messages.map(({ terms: _terms, ...m }: Partial<BenchMessage>) => m as StoredMessage) };
    });
    const fill = new IndexFill(index, userId);
    await fill.add(pipe.tx, sessions, Date.now());
    fill.finish(pipe.tx);
    await pipe.flush();
  }
  await pipe.close();
}

async function info(client: Redis, section: string, field: string): Promise<number> {
  const text = await client.info(section);
  const match = new RegExp(`^${field}:(\\d+)`, 'm').exec(text);
  return Number(match?.[1] ?? NaN);
}

/**
 * Microseconds of CPU Redis' main thread has used so far (INFO cpu): parsing, running commands and
 * scripts, replying. INFO commandstats would time each command by the wall clock, which on a busy
 * machine counts the time Redis waited for a core (and counts EXEC and scripts on top of the
 * commands they run).
 */
async function commandMicros(client: Redis): Promise<number> {
  const text = await client.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? NaN);
  const user = field('used_cpu_user_main_thread');
  const sys = field('used_cpu_sys_main_thread');
  return (Number.isNaN(user) ? field('used_cpu_user') + field('used_cpu_sys') : user + sys) * 1e6;
}

interface Cost {
  usec: number;
  bytes: number;
  wallMs: number;
  /** The deferred part: the next search taking these messages into the index. */
  catchUp?: { usec: number; bytes: number; wallMs: number };
}

/**
 * Redis CPU time and bytes received per appended message, for a repository: the chat's own
 * message-store transactions, alternating per session as a conversation does — a person's message
 * stored with the history read back in the same MULTI (appendAndReadRecent, FIRST_HISTORY_FETCH
 * entries at most), the answer stored below it (appendMessages), both below the session's active
 * leaf, known from the session chat loaded at the turn's start (so no read before the MULTI).
 */
async function appendCost(client: Redis, repo: SessionsRepository, userId: string, ids: string[], corpus: Corpus, search?: SearchService): Promise<Cost> {
  const tails = new Map<string, { leaf: string | null; depth: number }>();
  for (const id of ids) {
    const session = await repo.find(userId, id);
    tails.set(id, { leaf: session?.active_leaf_id || null, depth: session?.message_count ?? 0 });
  }
  const label = Math.random().toString(36).slice(2, 8);
  const messages: StoredMessage[] = Array.from({ length: WRITE_APPENDS }, (_, i) => {
    const { terms: _terms, ...message } = messagesFor(corpus, 1, Date.now(), `w${label}${i}`)[0];
    return message;
  });
  const [usec0, bytes0, t0] = [await commandMicros(client), await info(client, 'stats', 'total_net_input_bytes'), performance.now()];
  for (let i = 0; i < messages.length; i++) {
    const id = ids[i % ids.length];
    const tail = tails.get(id)!;
    const message: StoredMessage = { ...messages[i], role: tail.depth % 2 === 0 ? 'user' : 'assistant', parent_id: tail.leaf, depth: tail.depth + 1 };
    if (message.role === 'user') await repo.appendAndReadRecent(userId, id, [message], Math.min(tail.depth + 2, FIRST_HISTORY_FETCH));
    else await repo.appendMessages(userId, id, [message]);
    tails.set(id, { leaf: message.id, depth: tail.depth + 1 });
  }
  const wallMs = performance.now() - t0;
  const [usec1, bytes1] = [await commandMicros(client), await info(client, 'stats', 'total_net_input_bytes')];
  const cost: Cost = { usec: (usec1 - usec0) / WRITE_APPENDS, bytes: (bytes1 - bytes0) / WRITE_APPENDS, wallMs: wallMs / WRITE_APPENDS };
  if (search) {
    const t1 = performance.now();
    await search.catchUp(userId);
    await search.settled(); // the merges it started
    const catchUpMs = performance.now() - t1;
    const [usec2, bytes2] = [await commandMicros(client), await info(client, 'stats', 'total_net_input_bytes')];
    cost.catchUp = { usec: (usec2 - usec1) / WRITE_APPENDS, bytes: (bytes2 - bytes1) / WRITE_APPENDS, wallMs: catchUpMs / WRITE_APPENDS };
  }
  return cost;
}

/**
 * The index's whole write cost over a long run, merges included: two new identities' WRITE_SESSIONS
 * sessions each get LONG_RUN_TURNS messages per session, the same texts, alternately one with the
 * index and one without (drift hits both); after each such round a search takes the new messages in
 * (a segment of 400 messages): LONG_RUN_ROUNDS rounds (64: eight merges of level 0 into level 1,
 * one of level 1 into level 2). Redis CPU µs and bytes per message of the appends without and with
 * the index, and of the catch-ups (merges included).
 */
async function longRunCost(client: Redis, without: SessionsRepository, withIndex: SessionsRepository, search: SearchService, corpus: Corpus, label: string): Promise<Record<string, number>> {
  const identities = [await newSessions(client, `${label}n`), await newSessions(client, `${label}y`)];
  const tails = identities.map(({ ids }) => new Map(ids.map((id) => [id, { leaf: null as string | null, depth: 0 }])));
  const sums = { nUsec: 0, nBytes: 0, wUsec: 0, wBytes: 0, catchUpUsec: 0, catchUpBytes: 0 };
  const measure = async (work: () => Promise<unknown>): Promise<[number, number]> => {
    const [usec0, bytes0] = [await commandMicros(client), await info(client, 'stats', 'total_net_input_bytes')];
    await work();
    return [(await commandMicros(client)) - usec0, (await info(client, 'stats', 'total_net_input_bytes')) - bytes0];
  };
  let messages = 0;
  for (let round = 0; round < LONG_RUN_ROUNDS; round++) {
    const texts = Array.from({ length: WRITE_SESSIONS * LONG_RUN_TURNS }, (_, k) => messagesFor(corpus, 1, Date.now(), `l${label}${round}_${k}`)[0]);
    for (const side of [0, 1]) {
      const { userId, ids } = identities[side];
      const repo = side === 0 ? without : withIndex;
      const [usec, bytes] = await measure(async () => {
        for (let k = 0; k < texts.length; k++) {
          const id = ids[k % ids.length];
          const tail = tails[side].get(id)!;
          const { terms: _terms, ...text } = texts[k];
          const message: StoredMessage = { ...text, id: `${text.id}${side}`, role: tail.depth % 2 === 0 ? 'user' : 'assistant', parent_id: tail.leaf, depth: tail.depth + 1 };
          if (message.role === 'user') await repo.appendAndReadRecent(userId, id, [message], Math.min(tail.depth + 2, FIRST_HISTORY_FETCH));
          else await repo.appendMessages(userId, id, [message]);
          tails[side].set(id, { leaf: message.id, depth: tail.depth + 1 });
        }
      });
      if (side === 0) [sums.nUsec, sums.nBytes] = [sums.nUsec + usec, sums.nBytes + bytes];
      else [sums.wUsec, sums.wBytes] = [sums.wUsec + usec, sums.wBytes + bytes];
    }
    // The catch-up and the merges it starts (in the background: awaited here).
    const [usec, bytes] = await measure(async () => {
      await search.catchUp(identities[1].userId);
      await search.settled();
    });
    [sums.catchUpUsec, sums.catchUpBytes] = [sums.catchUpUsec + usec, sums.catchUpBytes + bytes];
    messages += texts.length;
  }
  const per = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / messages]));
  return {
    ...per,
    messages,
    usecPct: ((per.wUsec - per.nUsec + per.catchUpUsec) / per.nUsec) * 100,
    bytesPct: ((per.wBytes - per.nBytes + per.catchUpBytes) / per.nBytes) * 100,
  };
}

/** WRITE_SESSIONS new, empty sessions of a new identity (nothing of it in the index yet: every term is new to it). */
async function newSessions(client: Redis, label: string): Promise<{ userId: string; ids: string[] }> {
  const userId = `u_benchwrite${label.padEnd(13, '0')}`.slice(0, 25);
  const ids = Array.from({ length: WRITE_SESSIONS }, (_, i) => sessionId(9000, i) + label);
  const setup = client.pipeline() as unknown as Pipe;
  ids.forEach((id) => writeSession(setup, userId, id, 'Write test', [], Date.now()));
  await setup.exec();
  return { userId, ids };
}

/**
 * WRITE_SESSIONS of the big identity's sessions (each with its history and index entries), group
 * `group` of them (a group not written since the fill, while SESSIONS ≥ 2 × WRITE_SESSIONS × the
 * groups used; SCALE ≥ 0.06 at RUNS=3): the sessions with index get even numbers, those without odd
 * ones, so that no message stored without the index is ever taken in by a catch-up measured with it.
 */
function bigSessions(withIndex: boolean, group: number): string[] {
  const count = Math.min(WRITE_SESSIONS, Math.floor(SESSIONS / 2));
  return Array.from({ length: count }, (_, i) => sessionId(0, (2 * (group * count + i) + (withIndex ? 0 : 1)) % SESSIONS));
}

/** The baseline: every message of the identity read and matched, best 20 sessions kept. */
async function fullScan(client: Redis, q: string): Promise<number> {
  const query = parseQuery(q, 8);
  const ids = await client.zrevrange(keys.sessionIndex(ME), 0, -1);
  const best: Array<{ id: string; found: number }> = [];
  for (let s = 0; s < ids.length; s += 100) {
    const pipe = client.pipeline();
    for (const id of ids.slice(s, s + 100)) pipe.lrange(keys.messages(ME, id), 1, -1);
    const replies = (await pipe.exec()) ?? [];
    replies.forEach(([, raw], i) => {
      let found = 0;
      for (const entry of raw as string[]) {
        const { content } = JSON.parse(entry) as StoredMessage;
        if (mayMatch(content, query)) found = Math.max(found, queryWordsFound(wordsOf(content), query));
      }
      if (found > 0) best.push({ id: ids[s + i], found });
    });
  }
  return best.sort((a, b) => b.found - a.found).slice(0, 20).length;
}

/** A redis-server: a throwaway one, or the one on BENCH_REDIS_PORT (kept, and started there if none runs). */
async function openRedis(): Promise<{ client: Redis; port: number; stop(): Promise<void> }> {
  if (REUSE_PORT === undefined) {
    const redis = await startRedis();
    return { client: redis.client, port: Number(new URL(redis.url).port), stop: () => redis.stop() };
  }
  const { default: IORedis } = await import('ioredis');
  const client = new IORedis(REUSE_PORT, '127.0.0.1', { maxRetriesPerRequest: 1, lazyConnect: true });
  await client.connect();
  return { client, port: REUSE_PORT, stop: async () => client.disconnect() };
}

/** Fills the Redis (unless it holds this SCALE's data already): memory before and after each part, and how long each took. */
async function fill(client: Redis, port: number, index: SearchIndexRepository): Promise<Record<string, number>> {
  const marker = `bench:filled:${SCALE}:v5`;
  const known = await client.hgetall(marker);
  if (known.mem2) {
    console.log(`reusing the data filled before on port ${port}`);
    return Object.fromEntries(Object.entries(known).map(([k, v]) => [k, Number(v)]));
  }
  if ((await client.dbsize()) > 0) throw new Error(`the redis-server on port ${port} holds other data: give an empty one`);
  checkTerms();
  let t = performance.now();
  await writeOthers(port, index);
  const mem0 = await info(client, 'memory', 'used_memory');
  await writeMine(port, index, 'data');
  const mem1 = await info(client, 'memory', 'used_memory');
  const dataSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  await writeMine(port, index, 'index');
  const mem2 = await info(client, 'memory', 'used_memory');
  const indexSeconds = (performance.now() - t) / 1000;
  const filled = { mem0, mem1, mem2, dataSeconds, indexSeconds };
  await client.hset(marker, filled);
  return filled;
}

interface WriteFigures {
  with: Cost[];
  without: Cost[];
}

function emptyFigures(): WriteFigures {
  return { with: [], without: [] };
}

function avg(list: Array<{ usec: number; bytes: number; wallMs: number }>, field: 'usec' | 'bytes' | 'wallMs'): number {
  return list.reduce((s, c) => s + c[field], 0) / list.length;
}

/** Per message: the append's Redis CPU µs and bytes without and with the index, the deferred part, and the index's share. */
/** A write setting's summary field: `name` itself for the first setting (no prefix), else `prefixName`. */
function prefixed(prefix: string, name: string): string {
  return prefix === '' ? name : prefix + name[0].toUpperCase() + name.slice(1);
}

function writeSummary(figures: WriteFigures, prefix: string): Record<string, number> {
  const catchUps = figures.with.map((c) => c.catchUp!);
  const [wUsec, nUsec, wBytes, nBytes, wWall, nWall] = [
    avg(figures.with, 'usec'), avg(figures.without, 'usec'), avg(figures.with, 'bytes'), avg(figures.without, 'bytes'), avg(figures.with, 'wallMs'), avg(figures.without, 'wallMs'),
  ];
  const out: Record<string, number> = {
    nUsec, wUsec, nBytes, wBytes, nWall, wWall,
    catchUpUsec: avg(catchUps, 'usec'), catchUpBytes: avg(catchUps, 'bytes'), catchUpWall: avg(catchUps, 'wallMs'),
    indexUsecPct: ((wUsec - nUsec + avg(catchUps, 'usec')) / nUsec) * 100,
    indexBytesPct: ((wBytes - nBytes + avg(catchUps, 'bytes')) / nBytes) * 100,
  };
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [prefixed(prefix, k), v]));
}

function writeRows(figures: WriteFigures, label: string): string[][] {
  const f = writeSummary(figures, '');
  return [
    [`${label}: append Redis CPU µs per message, no index → index`, `${f.nUsec.toFixed(1)} → ${f.wUsec.toFixed(1)}`, ''],
    [`${label}: append bytes sent per message, no index → index`, `${f.nBytes.toFixed(0)} → ${f.wBytes.toFixed(0)}`, ''],
    [`${label}: append wall ms per message, no index → index`, `${f.nWall.toFixed(2)} → ${f.wWall.toFixed(2)}`, ''],
    [`${label}: deferred indexing at the next search, per message: Redis CPU µs / bytes sent / wall ms`,
      `${f.catchUpUsec.toFixed(1)} / ${f.catchUpBytes.toFixed(0)} / ${f.catchUpWall.toFixed(2)}`, ''],
    [`${label}: index write cost per message (append extra + deferred) / append without index: Redis CPU, bytes`,
      `${f.indexUsecPct.toFixed(0)} %, ${f.indexBytesPct.toFixed(0)} %`, '≤ 30 %'],
  ];
}

async function main(): Promise<void> {
  const redis = await openRedis();
  const client = redis.client;
  defineStoreScripts(client);
  const store = client as unknown as Store;
  const settings = sessionsSettings(0);
  const index = new SearchIndexRepository(store, keys, settings);
  const noIndex = { markPending: () => undefined } as unknown as SearchIndexRepository;
  const withIndexRepo = new SessionsRepository(store, keys, settings, index);
  const withoutIndexRepo = new SessionsRepository(store, keys, settings, noIndex);
  const search = new SearchService(index, withIndexRepo);
  const corpus = new Corpus();
  // Write tests of each invocation use their own identities and sessions.
  const nonce = Math.random().toString(36).slice(2, 6);
  try {
    console.log(`bench:search SCALE=${SCALE}: ${SESSIONS} sessions × ${MESSAGES_PER_SESSION} messages = ${SESSIONS * MESSAGES_PER_SESSION} messages, ` +
      `and ${OTHERS} other identities (${OTHER_SESSIONS}×${OTHER_MESSAGES} messages each)`);
    const { mem0, mem1, mem2, dataSeconds, indexSeconds } = await fill(client, redis.port, index);
    const total = SESSIONS * MESSAGES_PER_SESSION;
    console.log(`written: data ${dataSeconds.toFixed(1)} s, index ${indexSeconds.toFixed(1)} s (bulk writes)`);

    const runs: Array<Record<string, number>> = [];
    for (let run = 0; run < RUNS; run++) {
      console.log(`-- run ${run + 1} of ${RUNS}`);
      // Write cost, alternating the two repositories so drift hits both: in new sessions of a new
      // identity (every term new to the session and many to the identity), and in the big
      // identity's long sessions (its vocabulary known, most words of a message known to its session).
      const writes: Record<'fresh' | 'big' | 'again', WriteFigures> = { fresh: emptyFigures(), big: emptyFigures(), again: emptyFigures() };
      for (let round = 0; round < 2; round++) {
        const without = await newSessions(client, `${nonce}n${run}${round}`);
        writes.fresh.without.push(await appendCost(client, withoutIndexRepo, without.userId, without.ids, corpus));
        const withIndex = await newSessions(client, `${nonce}y${run}${round}`);
        writes.fresh.with.push(await appendCost(client, withIndexRepo, withIndex.userId, withIndex.ids, corpus, search));
        // Long sessions last written a day ago (every word they hold already is written again
        // once), then the same sessions again at once (their words' uses are recent).
        const group = run * 2 + round;
        // The big identity's sessions written without index are not for its catch-ups to take in (they
        // find written sessions by their list scores): its scan point is moved past them.
        const skipWritten = () => index.setThroughNow(ME, Date.now() + CATCH_UP_SLACK_MS);
        writes.big.without.push(await appendCost(client, withoutIndexRepo, ME, bigSessions(false, group), corpus));
        await skipWritten();
        writes.big.with.push(await appendCost(client, withIndexRepo, ME, bigSessions(true, group), corpus, search));
        writes.again.without.push(await appendCost(client, withoutIndexRepo, ME, bigSessions(false, group), corpus));
        await skipWritten();
        writes.again.with.push(await appendCost(client, withIndexRepo, ME, bigSessions(true, group), corpus, search));
      }
      // The long run (merges included).
      const long = LONG_RUN_ROUNDS > 0 ? await longRunCost(client, withoutIndexRepo, withIndexRepo, search, corpus, `${nonce}L${run}`) : null;
      const longFields: Record<string, number> = long
        ? { longNUsec: long.nUsec, longNBytes: long.nBytes, longWUsec: long.wUsec, longWBytes: long.wBytes, longCatchUpUsec: long.catchUpUsec, longCatchUpBytes: long.catchUpBytes, longUsecPct: long.usecPct, longBytesPct: long.bytesPct }
        : {};

      // The big identity's sessions written without index (the write measures) are taken in before
      // searches are timed: a real identity has no such writes.
      await search.catchUp(ME);
      // Queries: common, middling and rare words, two words, prefixes while typing, accents and case, Japanese.
      const accented = corpus.vocabulary.find((w) => w.includes('é') && w.length > 5) ?? 'bébé';
      const queries = [
        corpus.wordAt(0),
        corpus.wordAt(30),
        corpus.wordAt(1000),
        corpus.wordAt(20_000),
        `${corpus.wordAt(40)} ${corpus.wordAt(900)} `,
        corpus.wordAt(3000).slice(0, 2),
        corpus.wordAt(3000).slice(0, 3),
        `${corpus.wordAt(60)} ${corpus.wordAt(5000).slice(0, 3)}`,
        accented.replace(/é/g, 'e').toUpperCase(),
        '天気',
      ];
      const samples: number[] = [];
      const perQuery: string[][] = [['query', 'results', 'p50 ms', 'max ms']];
      for (const q of queries) {
        const own: number[] = [];
        let count = 0;
        for (let r = 0; r < SEARCH_REPEATS; r++) {
          const start = performance.now();
          count = (await search.search(ME, { q, limit: 20 })).results.length;
          own.push(performance.now() - start);
        }
        samples.push(...own);
        perQuery.push([JSON.stringify(q), String(count), percentile(own, 50).toFixed(1), Math.max(...own).toFixed(1)]);
      }
      const scans: number[] = [];
      for (const q of [queries[2], queries[4], queries[9]]) {
        const start = performance.now();
        await fullScan(client, q);
        scans.push(performance.now() - start);
      }
      const p50 = percentile(samples, 50);
      const p99 = percentile(samples, 99);
      const scanMedian = percentile(scans, 50);
      console.log(table(perQuery));
      console.log(table([
        ['measure', 'value', 'target'],
        ['search p50', `${p50.toFixed(1)} ms`, '≤ 20 ms'],
        ['search p99', `${p99.toFixed(1)} ms`, '≤ 100 ms'],
        ['full scan (baseline), median of 3 queries', `${scanMedian.toFixed(0)} ms`, ''],
        ['full scan / search p50', `${(scanMedian / p50).toFixed(0)}×`, ''],
        ...writeRows(writes.fresh, 'new identity, new sessions'),
        ...writeRows(writes.big, 'big identity, long sessions resumed a day later'),
        ...writeRows(writes.again, 'big identity, the same sessions again at once'),
        ...(long ? [
          [`long run (${long.messages} messages, a search after every ${WRITE_SESSIONS * LONG_RUN_TURNS}, merges included): append Redis CPU µs / bytes per message, no index → index`,
            `${long.nUsec.toFixed(1)} / ${long.nBytes.toFixed(0)} → ${long.wUsec.toFixed(1)} / ${long.wBytes.toFixed(0)}`, ''],
          ['long run: catch-ups and merges, Redis CPU µs / bytes per message', `${long.catchUpUsec.toFixed(1)} / ${long.catchUpBytes.toFixed(0)}`, ''],
          ['long run: index write cost / append without index, Redis CPU, bytes', `${longFields.longUsecPct.toFixed(0)} %, ${longFields.longBytesPct.toFixed(0)} %`, '≤ 30 %'],
        ] : []),
        ['memory per message: data / index', `${((mem1 - mem0) / total).toFixed(0)} B / ${((mem2 - mem1) / total).toFixed(0)} B`, ''],
      ]));
      const summary = { scale: SCALE, messages: total, p50, p99, scanMedian, ratio: scanMedian / p50,
        ...writeSummary(writes.fresh, ''), ...writeSummary(writes.big, 'big'), ...writeSummary(writes.again, 'again'), ...longFields,
        dataBytesPerMessage: (mem1 - mem0) / total, indexBytesPerMessage: (mem2 - mem1) / total };
      console.log(JSON.stringify(summary));
      runs.push(summary);
    }
    const median = (field: string) => percentile(runs.map((r) => r[field]), 50);
    const spread = (field: string, digits = 1) => `${median(field).toFixed(digits)} (${Math.min(...runs.map((r) => r[field])).toFixed(digits)}–${Math.max(...runs.map((r) => r[field])).toFixed(digits)})`;
    console.log(`== median (min–max) of ${RUNS} runs, same data`);
    console.log(table([
      ['measure', 'median (min–max)', 'target'],
      ['search p50 ms', spread('p50'), '≤ 20'],
      ['search p99 ms', spread('p99'), '≤ 100'],
      ['full scan ms', spread('scanMedian', 0), ''],
      ['full scan / search p50', spread('ratio', 0), ''],
      // The three write settings, their fields named with these prefixes.
      ...([['new identity', ''], ['big identity, resumed', 'big'], ['big identity, again', 'again']] as const).flatMap(([label, p]) => {
        const f = (name: string) => prefixed(p, name);
        return [
          [`${label}: append Redis µs/message, no index → index`, `${spread(f('nUsec'))} → ${spread(f('wUsec'))}`, ''],
          [`${label}: append bytes/message, no index → index`, `${spread(f('nBytes'), 0)} → ${spread(f('wBytes'), 0)}`, ''],
          [`${label}: deferred indexing Redis µs / bytes per message`, `${spread(f('catchUpUsec'))} / ${spread(f('catchUpBytes'), 0)}`, ''],
          [`${label}: index write cost / append, Redis µs %`, spread(f('indexUsecPct'), 0), '≤ 30'],
          [`${label}: index write cost / append, bytes %`, spread(f('indexBytesPct'), 0), '≤ 30'],
        ];
      }),
      ...(LONG_RUN_ROUNDS > 0 ? [
        ['long run: append Redis µs/message, no index → index', `${spread('longNUsec')} → ${spread('longWUsec')}`, ''],
        ['long run: catch-ups and merges, Redis µs / bytes per message', `${spread('longCatchUpUsec')} / ${spread('longCatchUpBytes', 0)}`, ''],
        ['long run: index write cost / append, Redis µs %', spread('longUsecPct', 0), '≤ 30'],
        ['long run: index write cost / append, bytes %', spread('longBytesPct', 0), '≤ 30'],
      ] : []),
      ['memory B/message: data', spread('dataBytesPerMessage', 0), ''],
      ['memory B/message: index', spread('indexBytesPerMessage', 0), ''],
    ]));
  } finally {
    await redis.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
