/**
 * The environment, parsed and validated once at start. A bad value stops the start with the
 * variable's name and the reason, so a misconfigured deployment never half-works.
 */
export interface Env {
  port: number;
  host: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  bodyLimitBytes: number;
  redisUrl: string | undefined;
  redisKeyPrefix: string;
  sessionTtlSeconds: number;
  personasFile: string;
  openaiApiKey: string | undefined;
  openaiBaseUrl: string | undefined;
  openaiModel: string | undefined;
  contextTokenBudget: number;
  llmConnectTimeoutMs: number;
  llmFirstTokenTimeoutMs: number;
  llmIdleTimeoutMs: number;
  llmTotalTimeoutMs: number;
  clientDir: string | undefined;
}

export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'EnvError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

type Raw = Record<string, string | undefined>;

function blankToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export function parseEnv(raw: Raw): Env {
  const problems: string[] = [];

  const int = (name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const value = blankToUndefined(raw[name]);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value)) {
      problems.push(`${name}=${JSON.stringify(value)} is not a whole number`);
      return fallback;
    }
    const n = Number(value);
    if (n < min || n > max) {
      problems.push(`${name}=${value} is out of range: it must be between ${min} and ${max}`);
      return fallback;
    }
    return n;
  };

  const url = (name: string, protocols: string[]): string | undefined => {
    const value = blankToUndefined(raw[name]);
    if (value === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      problems.push(`${name}=${JSON.stringify(value)} is not a valid URL (expected e.g. ${protocols[0]}//host:port)`);
      return undefined;
    }
    if (!protocols.includes(parsed.protocol)) {
      problems.push(`${name} must start with ${protocols.join(' or ')} (got ${parsed.protocol})`);
      return undefined;
    }
    if (!parsed.hostname) {
      problems.push(`${name}=${JSON.stringify(value)} has no host name`);
      return undefined;
    }
    return value;
  };

  const port = int('PORT', 8000, 0, 65535);
  const host = blankToUndefined(raw.HOST) ?? '0.0.0.0';

  const logLevelRaw = (blankToUndefined(raw.LOG_LEVEL) ?? 'info').toLowerCase();
  let logLevel: Env['logLevel'] = 'info';
  if ((LOG_LEVELS as readonly string[]).includes(logLevelRaw)) logLevel = logLevelRaw as Env['logLevel'];
  else problems.push(`LOG_LEVEL=${JSON.stringify(raw.LOG_LEVEL)} is not one of ${LOG_LEVELS.join(', ')}`);

  const redisKeyPrefix = blankToUndefined(raw.REDIS_KEY_PREFIX) ?? 'nono';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(redisKeyPrefix)) {
    problems.push(`REDIS_KEY_PREFIX=${JSON.stringify(redisKeyPrefix)} may only hold letters, digits, "_", "." and "-" (1-64 characters)`);
  }

  const env: Env = {
    port,
    host,
    logLevel,
    bodyLimitBytes: int('BODY_LIMIT_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024),
    redisUrl: url('REDIS_URL', ['redis:', 'rediss:']),
    redisKeyPrefix,
    sessionTtlSeconds: int('SESSION_TTL_SECONDS', 3600, 0, 10 * 365 * 24 * 3600),
    personasFile: blankToUndefined(raw.PERSONAS_FILE) ?? 'config/personas.yaml',
    openaiApiKey: blankToUndefined(raw.OPENAI_API_KEY),
    openaiBaseUrl: url('OPENAI_BASE_URL', ['http:', 'https:']),
    openaiModel: blankToUndefined(raw.OPENAI_MODEL),
    contextTokenBudget: int('CONTEXT_TOKEN_BUDGET', 8000, 256, 2_000_000),
    llmConnectTimeoutMs: int('LLM_CONNECT_TIMEOUT_MS', 10_000, 100, 600_000),
    llmFirstTokenTimeoutMs: int('LLM_FIRST_TOKEN_TIMEOUT_MS', 60_000, 100, 600_000),
    llmIdleTimeoutMs: int('LLM_IDLE_TIMEOUT_MS', 30_000, 100, 600_000),
    llmTotalTimeoutMs: int('LLM_TOTAL_TIMEOUT_MS', 300_000, 1000, 3_600_000),
    clientDir: blankToUndefined(raw.CLIENT_DIR),
  };

  if (problems.length > 0) throw new EnvError(problems);
  return env;
}
