/**
 * How text becomes search terms, the same way for what is indexed and for what is searched:
 * Unicode word segmentation (Intl.Segmenter, so Japanese or Thai without spaces splits into words
 * too), then each word folded to a term: compatibility decomposition (NFKD: "Ｆｕｌｌ" → "Full",
 * "ﬁ" → "fi"), Latin/Greek/Cyrillic accents removed ("Café" → "cafe"), lower case, "ß" → "ss",
 * recomposed (NFC) so that e.g. Japanese voiced kana keep their meaning.
 */

/** Longest term kept (in UTF-16 units); longer "words" (hashes, base64) are not searchable. */
export const MAX_TERM_LENGTH = 48;
/** Distinct terms indexed per text at most (the first ones); bounds the index write of a huge message. */
export const MAX_TERMS_PER_TEXT = 2000;

const segmenter = new Intl.Segmenter('und', { granularity: 'word' });

/** Combining marks that are accents on Latin, Greek or Cyrillic letters (not kana voicing marks). */
const ACCENTS = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/g;

/** One word of a text: its term and where it sits in the original text (UTF-16 offsets). */
export interface Word {
  term: string;
  start: number;
  end: number;
}

/** Folds any text the way words are folded (lower case is the same in every locale here: Unicode's default). */
export function foldText(text: string): string {
  return text.normalize('NFKD').replace(ACCENTS, '').toLowerCase().replace(/ß/g, 'ss').normalize('NFC');
}

/** Words folded recently: chat text repeats its words, and folding is most of the cost of indexing. */
const folded = new Map<string, string>();
const FOLD_CACHE_SIZE = 50_000;

/** The term a word folds to ("" when nothing is left). */
export function foldWord(word: string): string {
  let term = folded.get(word);
  if (term === undefined) {
    term = foldText(word);
    if (folded.size >= FOLD_CACHE_SIZE) folded.clear();
    folded.set(word, term);
  }
  return term;
}

/**
 * Text in scripts that separate words with spaces and punctuation (Latin, Greek, Cyrillic, with
 * their accents): its words are found by the rules below, several times faster than Intl.Segmenter
 * and with the same result (text-analysis.spec.ts compares them); other text goes to the segmenter.
 */
const SPACED_RANGES = '\\u0000-\\u024f\\u0300-\\u036f\\u0370-\\u03ff\\u0400-\\u04ff\\u1e00-\\u1fff\\u2000-\\u206f';
const SPACED_SCRIPTS = new RegExp(`^[${SPACED_RANGES}]*$`);
/** Runs of letters, digits, accents and connectors ("_"). */
const WORD_RUN = /[\p{L}\p{M}\p{Nd}_]+/gu;
const LETTER = /[\p{L}\p{M}]/u;
const DIGIT = /\p{Nd}/u;

/**
 * Unicode word boundaries (UAX #29) for spaced scripts: runs of letters and digits are words, and
 * one character between two runs joins them when it sits between letters (' ’ . : ·) or digits
 * (' ’ . , ;) on both sides: "don't", "e.g", "3.14", "1,000" are one word each.
 */
function* spacedWords(text: string): Generator<{ word: string; index: number }> {
  let pending: { word: string; index: number } | null = null;
  for (const match of text.matchAll(WORD_RUN)) {
    const index = match.index!;
    if (pending && index === pending.index + pending.word.length + 1 && joins(pending.word, text[index - 1], match[0])) {
      pending = { word: text.slice(pending.index, index + match[0].length), index: pending.index };
      continue;
    }
    if (pending) yield pending;
    pending = { word: match[0], index };
  }
  if (pending) yield pending;
}

function joins(before: string, between: string, after: string): boolean {
  const last = before[before.length - 1];
  const first = after[0];
  if (LETTER.test(last) && LETTER.test(first)) return "'’.:·".includes(between);
  if (DIGIT.test(last) && DIGIT.test(first)) return "'’.,;".includes(between);
  return false;
}

/** Runs of text in other scripts (no spaces between words, or not covered by the rules above). */
const OTHER_SCRIPTS = new RegExp(`[^${SPACED_RANGES}]+`, 'g');

/** A letter, digit or connector just before or after a run of other scripts: a word may span both. */
const TOUCHES_WORD = /[\p{L}\p{M}\p{Nd}_]$|^[\p{L}\p{M}\p{Nd}_]/u;

/**
 * The word-like segments of a text with their offsets: runs of other scripts go to the segmenter,
 * one by one, when spaces or punctuation set them apart; otherwise the whole text does.
 */
function* segmentsOf(text: string): Generator<{ word: string; index: number }> {
  if (SPACED_SCRIPTS.test(text)) {
    yield* spacedWords(text);
    return;
  }
  const runs = [...text.matchAll(OTHER_SCRIPTS)];
  const apart = runs.every((m) => !TOUCHES_WORD.test(text.slice(Math.max(0, m.index! - 1), m.index!)) && !TOUCHES_WORD.test(text.charAt(m.index! + m[0].length)));
  if (!apart) {
    yield* segmenterSegments(text, 0);
    return;
  }
  let at = 0;
  for (const match of runs) {
    const index = match.index!;
    if (index > at) for (const w of spacedWords(text.slice(at, index))) yield { word: w.word, index: w.index + at };
    yield* segmenterSegments(match[0], index);
    at = index + match[0].length;
  }
  if (at < text.length) for (const w of spacedWords(text.slice(at))) yield { word: w.word, index: w.index + at };
}

/** The word-like segments Intl.Segmenter finds in `text`, their offsets moved by `offset`. */
function* segmenterSegments(text: string, offset: number): Generator<{ word: string; index: number }> {
  for (const segment of segmenter.segment(text)) if (segment.isWordLike) yield { word: segment.segment, index: segment.index + offset };
}

/** The words of a text, in order, with their positions. */
export function wordsOf(text: string): Word[] {
  const words: Word[] = [];
  for (const { word, index } of segmentsOf(text)) {
    const term = foldWord(word);
    if (term.length === 0 || term.length > MAX_TERM_LENGTH) continue;
    words.push({ term, start: index, end: index + word.length });
  }
  return words;
}

/** The words of a text as Intl.Segmenter finds them (what wordsOf matches, for tests). */
export function segmenterWords(text: string): Array<{ word: string; index: number }> {
  return [...segmenterSegments(text, 0)];
}

/** The words of a text as wordsOf finds them, before folding (for tests). */
export function wordSegments(text: string): Array<{ word: string; index: number }> {
  return [...segmentsOf(text)];
}

/** The distinct terms of a text (at most MAX_TERMS_PER_TEXT), for the index. */
export function termsOf(text: string): string[] {
  const terms = new Set<string>();
  for (const { word } of segmentsOf(text)) {
    const term = foldWord(word);
    if (term.length === 0 || term.length > MAX_TERM_LENGTH) continue;
    terms.add(term);
    if (terms.size >= MAX_TERMS_PER_TEXT) break;
  }
  return [...terms];
}

/** A query: whole words, and the last word, matched as a prefix while the person is still typing it. */
export interface ParsedQuery {
  words: string[];
  /** The last word as typed (folded); null when the query ends with a space or punctuation. */
  prefix: string | null;
}

/**
 * Splits a query into terms. The last word is a prefix unless something other than a word follows
 * it ("tea " searches the whole word "tea"; "tea" also finds "teapot"). Repeated words count once.
 */
export function parseQuery(query: string, maxWords: number): ParsedQuery {
  const words = wordsOf(query);
  const last = words[words.length - 1];
  const endsInWord = last !== undefined && last.end === query.length;
  const whole = [...new Set((endsInWord ? words.slice(0, -1) : words).map((w) => w.term))];
  const prefix = endsInWord ? last.term : null;
  const kept = whole.filter((w) => w !== prefix).slice(0, prefix === null ? maxWords : maxWords - 1);
  return { words: kept, prefix };
}

/** Whether a term matches the query (a whole word, or starts with the prefix). */
export function matchesQuery(term: string, query: ParsedQuery): boolean {
  return query.words.includes(term) || (query.prefix !== null && term.startsWith(query.prefix));
}

/**
 * Whether a text may hold a query word: a cheap test on the folded text before segmenting it
 * (false means it certainly holds none).
 */
export function mayMatch(text: string, query: ParsedQuery): boolean {
  const folded = foldText(text);
  return query.words.some((w) => folded.includes(w)) || (query.prefix !== null && folded.includes(query.prefix));
}

/** How many of the query's words (the prefix counting as one) occur in a text's words. */
export function queryWordsFound(words: Word[], query: ParsedQuery): number {
  const found = new Set<string>();
  for (const { term } of words) {
    if (query.words.includes(term)) found.add(term);
    else if (query.prefix !== null && term.startsWith(query.prefix)) found.add('\u0000prefix');
  }
  return found.size;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

export const MARK_OPEN = '<mark>';
export const MARK_CLOSE = '</mark>';

/**
 * A short excerpt of `text` around its first match, as HTML: every matching word wrapped in
 * `<mark>…</mark>`, everything else escaped (so the excerpt is safe to render as HTML and holds no
 * other markup), whitespace runs collapsed, "…" where the text was cut.
 */
export function snippetOf(text: string, query: ParsedQuery, maxLength = 160, words: Word[] = wordsOf(text)): string {
  const hits = words.filter((w) => matchesQuery(w.term, query));
  const first = hits[0];
  let from = 0;
  if (first && first.start > maxLength / 3) {
    // Start at a word boundary shortly before the first match.
    const before = words.filter((w) => w.start >= first.start - maxLength / 3 && w.start <= first.start);
    from = before[0]?.start ?? first.start;
  }
  let to = Math.min(text.length, from + maxLength);
  const cut = words.find((w) => w.start < to && w.end > to);
  if (cut) to = cut.end <= from + maxLength * 1.25 ? cut.end : cut.start;
  let html = '';
  let at = from;
  for (const hit of hits) {
    if (hit.start < from || hit.end > to) continue;
    html += escapeHtml(text.slice(at, hit.start)) + MARK_OPEN + escapeHtml(text.slice(hit.start, hit.end)) + MARK_CLOSE;
    at = hit.end;
  }
  html += escapeHtml(text.slice(at, to));
  html = html.replace(/\s+/g, ' ').trim();
  return (from > 0 ? '…' : '') + html + (to < text.length ? '…' : '');
}
