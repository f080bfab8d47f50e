/** Checks on a JSON request body before it reaches validation (body-parser.ts). */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;

/**
 * Whether UTF-8 JSON text nests objects/arrays deeper than `limit`, read from the raw bytes so a
 * hostile body is refused before JSON.parse spends time on it (parsing 250,000 levels takes ~0.4 s)
 * and before validation recurses into it. Bytes of multi-byte UTF-8 characters never equal these
 * ASCII codes, so a byte scan is exact. Malformed text is left for JSON.parse to refuse.
 */
export function jsonNestedDeeperThan(utf8: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < utf8.length; i++) {
    const byte = utf8[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (++depth > limit) return true;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth--;
    }
  }
  return false;
}

/**
 * Keys that mean something to JavaScript objects: a body carrying one is either a mistake or an
 * attempt at prototype pollution, and class-transformer drops them silently before validation
 * could call them unknown.
 */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * The path (e.g. `metadata.__proto__`, `items[2].constructor`) of the first prototype key anywhere
 * in a parsed JSON value, or null. Recursive: call it only on values whose depth is already bounded.
 */
export function prototypeKeyPath(value: unknown): string | null {
  const trail = prototypeKeyTrail(value);
  return trail && trail.map((step, i) => (typeof step === 'number' ? `[${step}]` : i === 0 ? step : `.${step}`)).join('');
}

/** The steps to the first prototype key, innermost last, built only on the way back from a hit. */
function prototypeKeyTrail(value: unknown): Array<string | number> | null {
  if (typeof value !== 'object' || value === null) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const trail = prototypeKeyTrail(value[i]);
      if (trail) return [i, ...trail];
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    if (PROTOTYPE_KEYS.has(key)) return [key];
    const trail = prototypeKeyTrail((value as Record<string, unknown>)[key]);
    if (trail) return [key, ...trail];
  }
  return null;
}
