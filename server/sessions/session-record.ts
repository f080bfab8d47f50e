import { parseSettings } from '../personas/persona-overrides';
import { mapMessage } from './dto/message.dto';
import { StoredMessage, StoredSession, TITLE_SOURCES, TitleSource } from './session.model';

/**
 * How a session is laid out in its Redis hash, and how stored messages are read back. Pure
 * functions, so the repository's key handling and the encoding can be read separately.
 */

/**
 * First element of every session's message list. It keeps the list alive while the history is
 * empty, so the list always carries the same TTL state as the hash: writes can then renew both with
 * `EXPIRE … XX` (which never touches a PERSISTed, pinned session) and append with RPUSHX (which never
 * recreates the list of a session that is gone) in one MULTI, without reading first.
 */
export const HISTORY_HEAD = '';

/**
 * Session hash field naming the last message of the active path ('' when there is none). Its
 * absence marks a session stored before the conversation tree (migrated on first access).
 */
export const LEAF_FIELD = 'leaf';

/** A session's hash fields: the stored session minus what the key and the TTL already say. */
export type SessionFields = Omit<StoredSession, 'id' | 'user_id' | 'expires_at' | 'usage'> & {
  /**
   * When the sliding TTL was last renewed (ms). Written with every renewal, so a list page can
   * tell each session's expiry from its hash alone, without a PTTL per session.
   */
  touched_at: number;
};

/** Hash fields of the running usage totals, each kept with HINCRBY as answers are stored. */
export const USAGE_FIELDS = { prompt_tokens: 'tokens_in', completion_tokens: 'tokens_out', answers: 'answers' } as const;

/** The HINCRBYs that add these messages' answers to the session's usage totals (none for user messages). */
export function usageIncrements(messages: StoredMessage[]): Array<[field: string, increment: number]> {
  let [input, output, answers] = [0, 0, 0];
  for (const m of messages) {
    if (m.role !== 'assistant') continue;
    answers++;
    input += m.usage?.prompt_tokens ?? 0;
    output += m.usage?.completion_tokens ?? 0;
  }
  if (answers === 0) return [];
  const out: Array<[string, number]> = [[USAGE_FIELDS.answers, answers]];
  if (input > 0) out.push([USAGE_FIELDS.prompt_tokens, input]);
  if (output > 0) out.push([USAGE_FIELDS.completion_tokens, output]);
  return out;
}

/** Every field of a session hash (for HMGET, which reads values without their names). */
export const SESSION_FIELDS: ReadonlyArray<string> = [
  'display_name',
  'persona',
  'metadata',
  'created_at',
  'last_activity',
  'message_count',
  'pinned',
  'touched_at',
  'settings',
  USAGE_FIELDS.prompt_tokens,
  USAGE_FIELDS.completion_tokens,
  USAGE_FIELDS.answers,
  'archived',
  'tags',
  'title_source',
];

export function encodeSessionFields(fields: Partial<SessionFields>): Record<string, string> {
  const out: Record<string, string> = {};
  if (fields.display_name !== undefined) out.display_name = fields.display_name;
  if (fields.persona !== undefined) out.persona = fields.persona;
  if (fields.metadata !== undefined) out.metadata = JSON.stringify(fields.metadata);
  if (fields.created_at !== undefined) out.created_at = String(fields.created_at);
  if (fields.last_activity !== undefined) out.last_activity = String(fields.last_activity);
  if (fields.message_count !== undefined) out.message_count = String(fields.message_count);
  if (fields.pinned !== undefined) out.pinned = fields.pinned ? '1' : '0';
  if (fields.touched_at !== undefined) out.touched_at = String(fields.touched_at);
  if (fields.settings !== undefined) out.settings = JSON.stringify(fields.settings);
  if (fields.archived !== undefined) out.archived = fields.archived ? '1' : '0';
  if (fields.tags !== undefined) out.tags = JSON.stringify(fields.tags);
  if (fields.title_source !== undefined) out.title_source = fields.title_source;
  return out;
}

function parseMetadata(text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const counter = (text: string | undefined): number => Math.max(0, Number(text ?? 0) || 0);
function parseTags(text: string | undefined): string[] {
  if (!text) return [];
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((tag): tag is string => typeof tag === 'string') : [];
  } catch {
    return [];
  }
}

/** Sessions from before names had a source count as named by the person: they never get a title made. */
function parseTitleSource(text: string | undefined): TitleSource {
  return (TITLE_SOURCES as readonly string[]).includes(text ?? '') ? (text as TitleSource) : 'user';
}

/**
 * The session a hash describes, or null when the hash is gone or incomplete (a write that raced
 * with expiry or deletion can leave a few fields behind; they are not a session). `ttlMs` is the
 * sliding TTL (0: sessions never expire).
 */
export function decodeSession(
  userId: string,
  sessionId: string,
  hash: Record<string, string> | null | undefined,
  ttlMs: number,
): StoredSession | null {
  if (!hash || hash.created_at === undefined || hash.persona === undefined || hash.display_name === undefined) return null;
  const created = Number(hash.created_at);
  const lastActivity = Number(hash.last_activity ?? created);
  const pinned = hash.pinned === '1';
  const touched = Number(hash.touched_at ?? lastActivity);
  return {
    id: sessionId,
    user_id: userId,
    display_name: hash.display_name,
    persona: hash.persona,
    metadata: parseMetadata(hash.metadata),
    created_at: created,
    last_activity: lastActivity,
    message_count: Math.max(0, Number(hash.message_count ?? 0)),
    pinned,
    archived: hash.archived === '1',
    tags: parseTags(hash.tags),
    title_source: parseTitleSource(hash.title_source),
    expires_at: pinned || ttlMs <= 0 ? null : touched + ttlMs,
    active_leaf_id: hash[LEAF_FIELD] === undefined ? undefined : hash[LEAF_FIELD] || null,
    settings: parseSettings(hash.settings),
    usage: {
      prompt_tokens: counter(hash[USAGE_FIELDS.prompt_tokens]),
      completion_tokens: counter(hash[USAGE_FIELDS.completion_tokens]),
      answers: counter(hash[USAGE_FIELDS.answers]),
    },
  };
}

/**
 * A message as stored: exactly the JSON the API returns for it (MessageDto: ISO created_at, no
 * absent fields), so a history page is the stored texts joined, with no parse per message.
 */
export function encodeMessage(message: StoredMessage): string {
  return JSON.stringify(mapMessage(message));
}

/** Stored messages, oldest first, without the list's head marker; an unreadable entry is skipped. */
export function decodeMessages(raw: string[]): StoredMessage[] {
  const out: StoredMessage[] = [];
  for (const text of raw) {
    const message = decodeMessage(text);
    if (message) out.push(message);
  }
  return out;
}

export function decodeMessage(text: string): StoredMessage | null {
  if (text === HISTORY_HEAD) return null;
  try {
    const message = JSON.parse(text) as Omit<StoredMessage, 'created_at'> & { created_at: number | string };
    // Entries in the API shape carry ISO timestamps; older ones carry ms.
    const createdAt = typeof message.created_at === 'string' ? Date.parse(message.created_at) : message.created_at;
    return { ...message, created_at: createdAt };
  } catch {
    // One corrupt entry must not make the whole history unreadable.
    return null;
  }
}

// ---- conversation tree ------------------------------------------------------------------------

/** Tree hash field of a message's record. */
export const nodeField = (id: string): string => `n:${id}`;
/** Tree hash field listing a message's children, oldest first (JSON array of ids); `c:` for the first messages. */
export const childrenField = (parentId: string | null): string => `c:${parentId ?? ''}`;

/** A message record in the tree hash: its depth, then its API JSON without the sibling fields. */
export function encodeNode(message: StoredMessage, depth: number): string {
  return `${depth}|${nodeJson(message)}`;
}

/** The part of a message's node record after its depth: its API JSON without the sibling fields. */
export function nodeJson(message: StoredMessage): string {
  const plain = message.sibling_index === undefined && message.sibling_count === undefined ? message : { ...message, sibling_index: undefined, sibling_count: undefined };
  return JSON.stringify(mapMessage(plain));
}

export interface NodeRecord {
  depth: number;
  /** API JSON without sibling_index/sibling_count. */
  json: string;
}

export function decodeNode(text: string | null | undefined): NodeRecord | null {
  if (!text) return null;
  const bar = text.indexOf('|');
  const depth = Number(text.slice(0, bar));
  if (bar < 0 || !Number.isInteger(depth) || depth < 1) return null;
  return { depth, json: text.slice(bar + 1) };
}

/** The message a node record holds, with its depth. */
export function nodeMessage(node: NodeRecord): StoredMessage | null {
  const message = decodeMessage(node.json);
  return message && { ...message, depth: node.depth };
}

/** A path list entry: the node's API JSON with its position among its siblings (no parse). */
export function pathEntry(nodeJson: string, index: number, count: number): string {
  return `${nodeJson.slice(0, -1)},"sibling_index":${index},"sibling_count":${count}}`;
}

export function decodeChildren(text: string | null | undefined): string[] {
  if (!text) return [];
  try {
    const ids: unknown = JSON.parse(text);
    return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}

/** The id of a path entry (entries start with it; parsed when an older one does not). */
export function entryId(entry: string | null | undefined): string | null {
  if (!entry) return null;
  const match = /^\{"id":"([^"\\]*)"/.exec(entry);
  if (match) return match[1];
  return decodeMessage(entry)?.id ?? null;
}
