/** Making a session's title out of a model's reply or the first message (pure functions). */

/** Longest title kept (display names allow 200; a list shows far less). */
export const TITLE_MAX_LENGTH = 80;
/** Words of the first message used when no title could be made. */
const FALLBACK_WORDS = 6;
/** Characters of the first message and answer sent to the title model. */
const EXCERPT_LENGTH = 1000;

const CONTROL = /[\p{Cc}\u2028\u2029]+/gu;

function cut(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  const head = chars.slice(0, max - 1).join('');
  const space = head.lastIndexOf(' ');
  return `${(space > max / 2 ? head.slice(0, space) : head).trimEnd()}…`;
}

/** The model's reply as a title: its first non-empty line, without quotes, markdown or a final full stop; null when nothing is left. */
export function cleanTitle(reply: string): string | null {
  const line = reply
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l.length > 0);
  if (!line) return null;
  const title = line
    .replace(/^(#+|\*\*|title:)\s*/i, '')
    .replace(CONTROL, ' ')
    .replace(/\*\*/g, '')
    .replace(/^["'“”«»`]+|["'“”«»`]+$/g, '')
    .replace(/[.。!]+$/u, '')
    .replace(/\s+/g, ' ')
    .trim();
  return title.length > 0 ? cut(title, TITLE_MAX_LENGTH) : null;
}

/** The first words of the person's first message; null when it has none. */
export function titleFromMessage(content: string): string | null {
  const words = content.replace(CONTROL, ' ').split(/\s+/).filter((w) => w.length > 0);
  if (words.length === 0) return null;
  const title = words.slice(0, FALLBACK_WORDS).join(' ');
  return cut(words.length > FALLBACK_WORDS ? `${title}…` : title, TITLE_MAX_LENGTH);
}

/** The request's messages: an instruction, then an excerpt of the exchange to name. */
export function titlePrompt(question: string, answer: string): Array<{ role: 'system' | 'user'; content: string }> {
  return [
    {
      role: 'system',
      content:
        'Write a title of at most 6 words for the conversation below, in the language of the conversation. ' +
        'Reply with the title only: no quotes, no full stop.',
    },
    { role: 'user', content: `User: ${cut(question, EXCERPT_LENGTH)}\n\nAssistant: ${cut(answer, EXCERPT_LENGTH)}` },
  ];
}
