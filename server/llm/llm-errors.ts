import {
  BadGatewayException,
  GatewayTimeoutException,
  HttpException,
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

function upstreamText(error: APIError): string {
  const body = error.error as { message?: unknown } | undefined;
  const raw = typeof body?.message === 'string' ? body.message : error.message;
  const text = raw.replace(/\s+/g, ' ').trim();
  if (!text) return '';
  return ` The provider said: "${text.length > MAX_UPSTREAM_TEXT ? `${text.slice(0, MAX_UPSTREAM_TEXT)}…` : text}"`;
}

function fromStatus(error: APIError, ctx: LlmCallContext): HttpException {
  const status = error.status ?? 0;
  const said = upstreamText(error);
  if (status === 401 || status === 403) {
    return new BadGatewayException(`The model provider rejected the API key (check OPENAI_API_KEY).${said}`);
  }
  if (status === 404) {
    return new BadGatewayException(
      `The model provider at ${ctx.baseUrl} does not know the model "${ctx.model}" (check OPENAI_MODEL or the persona's model, and OPENAI_BASE_URL).${said}`,
    );
  }
  if (status === 429) {
    return new ServiceUnavailableException(`The model provider is rate limiting requests; retry in a little while.${said}`);
  }
  if (status >= 500) {
    return new BadGatewayException(`The model provider failed to answer (HTTP ${status}); retry in a little while.${said}`);
  }
  if (status >= 400) {
    return new BadGatewayException(`The model provider refused the request (HTTP ${status}).${said}`);
  }
  // An error object sent inside an otherwise successful stream.
  return new BadGatewayException(`The model provider reported an error in the middle of the answer.${said}`);
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
 * Turns whatever the SDK or the wire threw into an HTTP error a person can act on: bad key and
 * unknown model name the setting to check, rate limits and provider failures say to retry, an
 * unreachable server names its URL.
 */
export function mapLlmError(error: unknown, ctx: LlmCallContext, connectTimeoutMs: number): HttpException {
  if (error instanceof HttpException) return error;
  if (error instanceof APIConnectionTimeoutError) return connectTimeout(ctx, connectTimeoutMs);
  if (error instanceof APIConnectionError) {
    const code = causeCode(error);
    return new BadGatewayException(
      `Cannot reach the model server at ${ctx.baseUrl}${code ? ` (${code})` : ''}. Check OPENAI_BASE_URL and that the server is running.`,
    );
  }
  if (error instanceof APIError) return fromStatus(error, ctx);
  const native = asNativeError(error);
  if (native?.name === 'SyntaxError') {
    return new BadGatewayException(
      `The model server at ${ctx.baseUrl} sent a malformed stream (not OpenAI-compatible server-sent events). Check OPENAI_BASE_URL.`,
    );
  }
  if (native && isConnectionLost(native)) {
    return new BadGatewayException(`The connection to the model server at ${ctx.baseUrl} was lost in the middle of the answer; retry.`);
  }
  const message = native ? native.message : String(error);
  return new BadGatewayException(`The call to the model server at ${ctx.baseUrl} failed: ${message}`);
}

export const firstTokenTimeout = (ms: number) =>
  new GatewayTimeoutException(`The model did not start answering within ${ms} ms (LLM_FIRST_TOKEN_TIMEOUT_MS); retry, or raise the limit for slow models.`);

export const idleTimeout = (ms: number) =>
  new GatewayTimeoutException(`The model stopped sending for ${ms} ms in the middle of the answer (LLM_IDLE_TIMEOUT_MS); retry.`);

export const totalTimeout = (ms: number) =>
  new GatewayTimeoutException(`The answer took longer than ${ms} ms (LLM_TOTAL_TIMEOUT_MS) and was cut off; retry, or raise the limit.`);

export const connectTimeout = (ctx: LlmCallContext, ms: number) =>
  new GatewayTimeoutException(
    `The model server at ${ctx.baseUrl} did not respond within ${ms} ms (LLM_CONNECT_TIMEOUT_MS). Check that it is running and reachable.`,
  );

export const emptyStream = (ctx: LlmCallContext) =>
  new BadGatewayException(`The model server at ${ctx.baseUrl} ended the answer without sending anything; retry.`);
