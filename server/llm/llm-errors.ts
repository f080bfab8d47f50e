import {
  BadGatewayException,
  GatewayTimeoutException,
  HttpException,
  HttpExceptionOptions,
  ServiceUnavailableException,
} from '@nestjs/common';
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';

/** What an error message needs to name so a person can fix it. */
export interface LlmCallContext {
  model: string;
  /** The base URL in use, for messages ("https://api.openai.com/v1" when OPENAI_BASE_URL is unset). */
  baseUrl: string;
}

const MAX_UPSTREAM_TEXT = 300;

/** For the person: what to do when retrying does not help. */
const TELL_ADMIN = 'If it keeps happening, tell the administrator.';

/**
 * What the server log (and the administrator) gets about a failed model call: the model server's
 * URL, the setting to check, the provider's own words. `level` is how loud it is logged.
 */
export class ModelCallDetail extends Error {
  constructor(
    message: string,
    readonly level: 'warn' | 'error',
  ) {
    super(message);
    this.name = 'ModelCallDetail';
  }
}

type HttpExceptionType = new (message: string, options?: HttpExceptionOptions) => HttpException;

/**
 * An error whose message is for the person in the chat (what happened, what to do; no internal URL
 * or setting names) and whose cause carries the detail for the log.
 */
function modelError(Type: HttpExceptionType, message: string, detail: string, level: 'warn' | 'error' = 'warn'): HttpException {
  return new Type(message, { cause: new ModelCallDetail(detail, level) });
}

/** The detail for the log of an error from this file, if it has one. */
export function modelCallDetail(error: HttpException): ModelCallDetail | undefined {
  return error.cause instanceof ModelCallDetail ? error.cause : undefined;
}

function providerText(error: APIError): string {
  const body = error.error as { message?: unknown } | undefined;
  const raw = typeof body?.message === 'string' ? body.message : error.message;
  const text = raw.replace(/\s+/g, ' ').trim();
  return text.length > MAX_UPSTREAM_TEXT ? `${text.slice(0, MAX_UPSTREAM_TEXT)}…` : text;
}

/** The provider's words, quoted for the person where they help (a refused request, a rate limit). */
function quoted(text: string): string {
  return text ? ` The model service said: "${text}"` : '';
}

function fromStatus(error: APIError, ctx: LlmCallContext): HttpException {
  const status = error.status ?? 0;
  const text = providerText(error);
  const said = text ? ` The provider said: "${text}"` : '';
  if (status === 401 || status === 403) {
    return modelError(
      BadGatewayException,
      `The model service refused this server's credentials, so chat cannot answer. Tell the administrator.`,
      `The model provider at ${ctx.baseUrl} rejected the API key (HTTP ${status}); check OPENAI_API_KEY.${said}`,
      'error',
    );
  }
  if (status === 404) {
    return modelError(
      BadGatewayException,
      `The model "${ctx.model}" is not available on the model service. Try another persona, or tell the administrator.`,
      `The model provider at ${ctx.baseUrl} does not know the model "${ctx.model}" (HTTP 404); check OPENAI_MODEL or the persona's model, and OPENAI_BASE_URL.${said}`,
      'error',
    );
  }
  if (status === 429) {
    return modelError(
      ServiceUnavailableException,
      // Not quoted for the person: providers name the account or organisation in this one.
      'The model service is busy (too many requests); try again in a minute.',
      `The model provider at ${ctx.baseUrl} is rate limiting requests (HTTP 429).${said}`,
    );
  }
  if (status >= 500) {
    return modelError(
      BadGatewayException,
      `The model service failed to answer (HTTP ${status}); try again in a minute. ${TELL_ADMIN}`,
      `The model provider at ${ctx.baseUrl} failed to answer (HTTP ${status}).${said}`,
    );
  }
  if (status >= 400) {
    return modelError(
      BadGatewayException,
      `The model service refused the request (HTTP ${status}).${quoted(text)} ${TELL_ADMIN}`,
      `The model provider at ${ctx.baseUrl} refused the request (HTTP ${status}).${said}`,
    );
  }
  // An error object sent inside an otherwise successful stream.
  return modelError(
    BadGatewayException,
    `The model service reported an error in the middle of the answer; try again.${quoted(text)}`,
    `The model provider at ${ctx.baseUrl} sent an error in the middle of the answer.${said}`,
  );
}

/**
 * A connection dropped mid-body: Node's HTTP client says Error("aborted") with code ECONNRESET;
 * Node's fetch says TypeError("terminated") with the socket error as its cause.
 */
function isConnectionLost(error: NativeError): boolean {
  const own = (error as { code?: string }).code;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return (
    /\bterminated$|^aborted$|socket hang up/.test(error.message) ||
    /ECONNRESET|EPIPE|UND_ERR_SOCKET|other side closed/i.test(`${own} ${cause?.code} ${cause?.message}`)
  );
}

function causeCode(error: NativeError): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+|^UND_/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return '';
}

/**
 * Errors from Node's own fetch come from another realm under some runners (e.g. jest's VM), where
 * `instanceof Error` is false; they are recognised by shape.
 */
interface NativeError {
  name: string;
  message: string;
  cause?: unknown;
}

function asNativeError(error: unknown): NativeError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, message } = error as Partial<NativeError>;
  return typeof name === 'string' && typeof message === 'string' ? (error as NativeError) : undefined;
}

/**
 * Turns whatever the SDK or the wire threw into an HTTP error a person can act on (try again, try
 * another persona, tell the administrator), with the detail for the log as its cause: the model
 * server's URL and the setting to check.
 */
export function mapLlmError(error: unknown, ctx: LlmCallContext, connectTimeoutMs: number): HttpException {
  if (error instanceof HttpException) return error;
  if (error instanceof APIConnectionTimeoutError) return connectTimeout(ctx, connectTimeoutMs);
  if (error instanceof APIConnectionError) {
    const code = causeCode(error);
    return modelError(
      BadGatewayException,
      `The model service is not reachable right now; try again in a minute. ${TELL_ADMIN}`,
      `Cannot reach the model server at ${ctx.baseUrl}${code ? ` (${code})` : ''}; check OPENAI_BASE_URL and that the server is running.`,
      'error',
    );
  }
  if (error instanceof APIError) return fromStatus(error, ctx);
  const native = asNativeError(error);
  if (native?.name === 'SyntaxError') {
    return modelError(
      BadGatewayException,
      `The model service sent a reply this server cannot read. Tell the administrator.`,
      `The model server at ${ctx.baseUrl} sent a malformed stream (not OpenAI-compatible server-sent events: ${native.message}); check OPENAI_BASE_URL.`,
      'error',
    );
  }
  if (native && isConnectionLost(native)) {
    return modelError(
      BadGatewayException,
      'The connection to the model service was lost in the middle of the answer; try again.',
      `The connection to the model server at ${ctx.baseUrl} was lost in the middle of the answer (${native.message}).`,
    );
  }
  const message = native ? native.message : String(error);
  return modelError(
    BadGatewayException,
    `The call to the model service failed; try again in a minute. ${TELL_ADMIN}`,
    `The call to the model server at ${ctx.baseUrl} failed: ${message}`,
    'error',
  );
}

export const firstTokenTimeout = (ctx: LlmCallContext, ms: number) =>
  modelError(
    GatewayTimeoutException,
    `The model did not start answering in time; try again. ${TELL_ADMIN}`,
    `The model "${ctx.model}" at ${ctx.baseUrl} did not start answering within ${ms} ms (LLM_FIRST_TOKEN_TIMEOUT_MS); raise it for slow models.`,
  );

export const idleTimeout = (ctx: LlmCallContext, ms: number) =>
  modelError(
    GatewayTimeoutException,
    'The model stopped sending in the middle of the answer; try again.',
    `The model "${ctx.model}" at ${ctx.baseUrl} sent nothing for ${ms} ms in the middle of the answer (LLM_IDLE_TIMEOUT_MS).`,
  );

export const totalTimeout = (ctx: LlmCallContext, ms: number) =>
  modelError(
    GatewayTimeoutException,
    'The answer took too long and was cut off; try again, or ask for a shorter answer.',
    `The answer of "${ctx.model}" at ${ctx.baseUrl} took longer than ${ms} ms (LLM_TOTAL_TIMEOUT_MS) and was cut off.`,
  );

export const connectTimeout = (ctx: LlmCallContext, ms: number) =>
  modelError(
    GatewayTimeoutException,
    `The model service did not respond in time; try again in a minute. ${TELL_ADMIN}`,
    `The model server at ${ctx.baseUrl} did not respond within ${ms} ms (LLM_CONNECT_TIMEOUT_MS); check that it is running and reachable.`,
    'error',
  );

export const emptyStream = (ctx: LlmCallContext) =>
  modelError(
    BadGatewayException,
    'The model service ended the answer without sending anything; try again.',
    `The model server at ${ctx.baseUrl} ended the answer without sending anything.`,
  );
