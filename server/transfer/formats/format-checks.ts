import { ImportFormatError } from '../conversation-tree';

/** Small typed readers of parsed JSON that fail with a message naming the conversation and field. */

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class Checker {
  constructor(readonly what: string) {}

  fail(problem: string): never {
    throw new ImportFormatError(`${this.what}: ${problem}`);
  }

  object(value: unknown, field: string): Json {
    if (!isObject(value)) this.fail(`${field} must be an object`);
    return value;
  }

  array(value: unknown, field: string): unknown[] {
    if (!Array.isArray(value)) this.fail(`${field} must be an array`);
    return value;
  }

  string(value: unknown, field: string): string {
    if (typeof value !== 'string') this.fail(`${field} must be a string`);
    return value;
  }

  optionalString(value: unknown, field: string): string | null {
    if (value === undefined || value === null) return null;
    return this.string(value, field);
  }

  /** An ISO 8601 date-time; ms since epoch. */
  isoTime(value: unknown, field: string): number {
    const ms = typeof value === 'string' ? Date.parse(value) : NaN;
    if (!Number.isFinite(ms)) this.fail(`${field} must be an ISO 8601 date-time`);
    return ms;
  }

  /** Seconds since epoch (ChatGPT), possibly null; ms since epoch or null. */
  epochSeconds(value: unknown, field: string): number | null {
    if (value === undefined || value === null) return null;
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(`${field} must be a number of seconds or null`);
    return Math.round(value * 1000);
  }
}

/** "conversation 3 (\"Trip planning\")", for messages about one element of a file. */
export function conversationLabel(index: number, title: unknown): string {
  const name = typeof title === 'string' && title.trim() !== '' ? ` (${JSON.stringify(title.length > 60 ? `${title.slice(0, 57)}...` : title)})` : '';
  return `Conversation ${index + 1}${name}`;
}

/** A usable session name from an imported title: no control characters, at most 200 characters. */
export function sessionTitle(title: string | null | undefined, fallback: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = (title ?? '').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, 200).trim();
  return clean === '' ? fallback : clean;
}
