import type { LoggerService } from '@nestjs/common';
import type { Request, Response } from 'express';
import { hostname } from 'node:os';
import pino, { Logger as Pino } from 'pino';
import type { Env } from '../config/env';

function prettyAvailable(): boolean {
  try {
    require.resolve('pino-pretty');
    return true;
  } catch {
    return false; // a production install without dev packages: stay with JSON
  }
}

/** Pretty, human lines in a terminal; one JSON object per line everywhere else (LOG_FORMAT overrides). */
export function wantsPrettyLogs(env: Env, isTTY = Boolean(process.stdout.isTTY)): boolean {
  if (env.logLevel === 'silent' || env.logFormat === 'json') return false;
  return (env.logFormat === 'pretty' || isTTY) && prettyAvailable();
}

const PRETTY_OPTIONS = {
  singleLine: true,
  colorize: true,
  translateTime: 'SYS:HH:MM:ss.l',
  // One short line per request: "[id] request completed GET /api/x 200 4ms".
  ignore: 'pid,hostname,service,context,req,res,responseTime',
  messageFormat: '{if req.id}[{req.id}] {end}{if context}[{context}] {end}{msg}{if res.statusCode} {req.method} {req.url} {res.statusCode} {responseTime}ms{end}',
};

// One pretty-printing worker per process however many apps it creates (the tests create many).
const loggers = new Map<string, Pino>();

/** The process's pino logger for these settings: JSON lines on stdout, or pretty in a terminal. */
export function rootLogger(env: Env): Pino {
  const pretty = wantsPrettyLogs(env);
  const key = `${env.logLevel}:${pretty}`;
  let logger = loggers.get(key);
  if (!logger) {
    logger = pino({
      level: env.logLevel,
      base: { pid: process.pid, hostname: hostname(), service: 'nono-chat' },
      ...(pretty ? { transport: { target: 'pino-pretty', options: PRETTY_OPTIONS } } : {}),
    });
    loggers.set(key, logger);
  }
  return logger;
}

/** Nest's logger interface on pino: `context` (the logging class) becomes a field of the line. */
export class AppLogger implements LoggerService {
  constructor(private readonly pino: Pino) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: pino.Level, message: unknown, params: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    // Nest passes (message, context) and for errors (message, stack, context).
    const context = params.length > 0 && typeof params[params.length - 1] === 'string' ? (params.pop() as string) : undefined;
    const stack = params.find((p): p is string => typeof p === 'string' && p.includes('\n    at '));
    const fields: Record<string, unknown> = {};
    if (context) fields.context = context;
    if (stack) fields.stack = stack;
    if (message instanceof Error) {
      fields.err = message;
      this.pino[level](fields, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.pino[level]({ ...fields, ...message });
    } else {
      this.pino[level](fields, String(message));
    }
  }
}

type WithId = Request & { id?: unknown };

/**
 * One line per finished request: its id, method, URL, status and duration (not headers, so no
 * credentials). Streams are logged when they end. /health probes are left out. It only listens for
 * the response's `close` and writes one line then, so it costs a request a few microseconds.
 */
export function requestLogger(logger: Pino) {
  return (req: Request, res: Response): void => {
    if (!logger.isLevelEnabled('error') || req.url.startsWith('/health')) return;
    const started = process.hrtime.bigint();
    res.once('close', () => {
      const finished = res.writableFinished;
      const status = res.statusCode;
      const level = !finished ? 'warn' : status >= 500 ? 'error' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const responseTime = Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10;
      const line = {
        req: { id: (req as WithId).id, method: req.method, url: req.originalUrl, remoteAddress: req.socket.remoteAddress },
        res: { statusCode: status },
        responseTime,
      };
      logger[level](line, !finished ? 'request aborted' : status >= 500 ? 'request errored' : 'request completed');
    });
  };
}
