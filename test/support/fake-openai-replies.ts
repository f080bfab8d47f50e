/** Wire shapes and reply content of the fake OpenAI-compatible server. */

export interface FakeChatRequest {
  model?: string;
  messages: Array<{ role: string; content: unknown }>;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  [key: string]: unknown;
}

/**
 * hang: accept the request, never send anything. stall: send some chunks, then go silent with the
 * connection open. reset: send some chunks, then destroy the socket. malformed: send some chunks,
 * then a line that is not JSON. in-stream-error: send some chunks, then an OpenAI error object.
 */
export type FakeFault = 'hang' | 'stall' | 'reset' | 'malformed' | 'in-stream-error';

export interface FakeReply {
  /** The answer; split into word chunks unless `chunks` is given. Default: the labelled echo answer. */
  text?: string;
  chunks?: string[];
  /** Split `text` into this many chunks instead of words. */
  chunkCount?: number;
  model?: string;
  finishReason?: string;
  /** Answer with this HTTP error status and an OpenAI-style error body. */
  status?: number;
  errorMessage?: string;
  /** Wait before sending the response headers. */
  headersDelayMs?: number;
  /** Wait after the headers (and the role chunk) before the first content chunk. */
  firstChunkDelayMs?: number;
  /** Wait between content chunks. */
  chunkDelayMs?: number;
  fault?: FakeFault;
  /** Answer with this redirect status (301, 302, 303, 307, 308) and Location header instead. */
  redirect?: { status: number; location: string };
  /** For mid-stream faults: how many content chunks go out first (default 2). */
  faultAfterChunks?: number;
}

export const DEV_MODEL_LABEL = '[development model]';

function lastUserText(body: FakeChatRequest): string {
  for (let i = body.messages.length - 1; i >= 0; i--) {
    const m = body.messages[i];
    if (m.role === 'user') return typeof m.content === 'string' ? m.content : JSON.stringify(m.content);
  }
  return '';
}

/** Deterministic, and labelled so nobody mistakes it for a real model's answer. */
export function defaultAnswer(body: FakeChatRequest): string {
  const said = lastUserText(body).replace(/\s+/g, ' ').trim();
  const quoted = said.length > 200 ? `${said.slice(0, 200)}…` : said;
  const turns = body.messages.filter((m) => m.role !== 'system').length;
  return (
    `${DEV_MODEL_LABEL} You said: "${quoted}". This answer comes from nono-chat's built-in fake model, ` +
    `not a real one; it saw ${turns} message${turns === 1 ? '' : 's'} of this conversation. ` +
    'Set OPENAI_MODEL and OPENAI_API_KEY (or OPENAI_BASE_URL) to talk to a real model.'
  );
}

/** Word-sized chunks (each keeps its trailing space), or `count` near-equal pieces. */
export function chunkText(text: string, count?: number): string[] {
  if (count && count > 0) {
    const size = Math.ceil(text.length / count) || 1;
    const out: string[] = [];
    for (let i = 0; i < count; i++) out.push(text.slice(i * size, (i + 1) * size));
    return out;
  }
  return text.match(/\S+\s*|\s+/g) ?? [];
}

export function usageFor(body: FakeChatRequest, chunks: string[]) {
  const promptChars = body.messages.reduce((n, m) => n + (typeof m.content === 'string' ? m.content.length : 0), 0);
  const prompt_tokens = Math.ceil(promptChars / 4) + 3 * body.messages.length;
  return { prompt_tokens, completion_tokens: chunks.length, total_tokens: prompt_tokens + chunks.length };
}

export function streamChunk(id: string, model: string, delta: Record<string, unknown>, finishReason: string | null) {
  return {
    id,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
}

export function completionBody(model: string, content: string, finishReason: string, usage: ReturnType<typeof usageFor>) {
  return {
    id: `chatcmpl-fake${Date.now().toString(36)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: finishReason }],
    usage,
  };
}

export function errorBody(message: string, type: string, code: string | null) {
  return { error: { message, type, param: null, code } };
}
