/**
 * The backup file: NDJSON, one JSON value per line, so it is written and read as a stream.
 *
 *   line 1     BackupHeader
 *   then       one BackupGroup per line: the keys of one identity (hash tag `{u:<id>}`), read in
 *              one MULTI, or a single key outside any identity (a token, a user name)
 *   last line  BackupEnd, which tells a complete file from a truncated one
 *
 * Keys are stored without the deployment's prefix, so a backup restores under any prefix. Values
 * are stored by Redis type, whatever the key means, so keys added by later versions are kept too.
 */
export const BACKUP_FORMAT = 'nono-chat-backup';
export const BACKUP_VERSION = 1;

export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  version: number;
  /** ms since epoch */
  created_at: number;
  /** The key prefix the data had (informational: a restore writes under its own prefix). */
  prefix: string;
}

export type BackupRecord =
  | { key: string; type: 'string'; expires_at: number | null; value: string }
  | { key: string; type: 'hash'; expires_at: number | null; value: Record<string, string> }
  | { key: string; type: 'list'; expires_at: number | null; value: string[] }
  /** [member, score] pairs; a score as Redis writes it ("1.5", "inf", "-inf"). */
  | { key: string; type: 'zset'; expires_at: number | null; value: Array<[string, string]> };

export type RecordType = BackupRecord['type'];
export const RECORD_TYPES: readonly RecordType[] = ['string', 'hash', 'list', 'zset'];

export interface BackupGroup {
  /** The keys' hash tag without braces (e.g. "u:abc"), or null for a key without one. */
  group: string | null;
  keys: BackupRecord[];
}

export interface BackupEnd {
  end: true;
  groups: number;
  keys: number;
}

/** The hash tag Redis Cluster places a key by: the text between the first `{` and the next `}`, if any. */
export function hashTag(key: string): string | null {
  const open = key.indexOf('{');
  if (open < 0) return null;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : null;
}

/** A prefix as a literal in a SCAN MATCH pattern. */
export function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

export class BackupFileError extends Error {}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
const SCORE = /^([-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?|[-+]?inf)$/;

export function parseHeader(value: unknown): BackupHeader {
  if (!isObject(value) || value.format !== BACKUP_FORMAT) {
    throw new BackupFileError(`it does not start with a ${BACKUP_FORMAT} header; is this a nono-chat backup?`);
  }
  if (value.version !== BACKUP_VERSION) {
    throw new BackupFileError(`it is version ${String(value.version)} of the format; this version of nono-chat reads version ${BACKUP_VERSION}`);
  }
  if (typeof value.created_at !== 'number' || typeof value.prefix !== 'string') throw new BackupFileError('its header lacks created_at or prefix');
  return value as unknown as BackupHeader;
}

function recordProblem(r: unknown): string | undefined {
  if (!isObject(r)) return 'a key record is not an object';
  if (typeof r.key !== 'string' || r.key === '') return 'a key record has no key';
  if (r.expires_at !== null && typeof r.expires_at !== 'number') return `key ${r.key}: expires_at is neither null nor a number`;
  const v = r.value;
  switch (r.type) {
    case 'string':
      return typeof v === 'string' ? undefined : `key ${r.key}: a string value must be a string`;
    case 'hash':
      return isObject(v) && Object.values(v).every((f) => typeof f === 'string') ? undefined : `key ${r.key}: a hash value must map fields to strings`;
    case 'list':
      return isStringArray(v) ? undefined : `key ${r.key}: a list value must be an array of strings`;
    case 'zset':
      return Array.isArray(v) && v.every((p) => isStringArray(p) && p.length === 2 && SCORE.test(p[1]))
        ? undefined
        : `key ${r.key}: a zset value must be [member, score] pairs`;
    default:
      return `key ${r.key}: unknown type ${JSON.stringify(r.type)}`;
  }
}

/** A group line, checked whole: every key valid and in the group's hash tag (one Cluster slot). */
export function parseGroup(value: unknown): BackupGroup {
  if (!isObject(value) || !Array.isArray(value.keys) || !(value.group === null || typeof value.group === 'string')) {
    throw new BackupFileError('it is neither a group of keys nor the end line');
  }
  for (const r of value.keys) {
    const problem = recordProblem(r);
    if (problem) throw new BackupFileError(problem);
    const key = (r as BackupRecord).key;
    if (hashTag(key) !== value.group) throw new BackupFileError(`key ${key} does not belong to group ${String(value.group)}`);
  }
  if (value.group === null && value.keys.length !== 1) throw new BackupFileError('a group without a hash tag must hold exactly one key');
  return value as unknown as BackupGroup;
}

export function isEnd(value: unknown): value is BackupEnd {
  return isObject(value) && value.end === true;
}
