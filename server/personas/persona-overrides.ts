/**
 * Per-session overrides of a persona's model parameters, within what the persona allows
 * (`allow_overrides` in the persona file). Pure functions: the catalogue parser, the sessions
 * service (PATCH validation, persona switch) and the chat service (the model call) share them.
 */

/** The parameters a session may override, in the order they are listed and checked. */
export const OVERRIDABLE = ['model', 'temperature', 'top_p', 'max_tokens'] as const;
export type OverridableName = (typeof OVERRIDABLE)[number];
export type NumericOverride = Exclude<OverridableName, 'model'>;

export interface NumberRange {
  min: number;
  max: number;
}

/** What a persona lets a session change; a parameter that is absent cannot be overridden. */
export interface PersonaOverrides {
  temperature?: NumberRange;
  top_p?: NumberRange;
  max_tokens?: NumberRange;
  /** Model names a session may pick. */
  model?: string[];
}

/** A session's overrides, as stored and returned. */
export interface SessionSettings {
  model?: string;
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
}

/** The widest range each numeric parameter may have (what the model APIs accept). */
export const PARAMETER_LIMITS: Record<NumericOverride, NumberRange & { integer: boolean }> = {
  temperature: { min: 0, max: 2, integer: false },
  top_p: { min: 0, max: 1, integer: false },
  max_tokens: { min: 1, max: 1_000_000, integer: true },
};

/** Why `value` may not be set for `name` under a persona that allows `allowed`, or null when it may. */
export function overrideProblem(personaKey: string, allowed: PersonaOverrides | undefined, name: OverridableName, value: unknown): string | null {
  const adjustable = OVERRIDABLE.filter((n) => allowed?.[n] !== undefined);
  if (allowed?.[name] === undefined) {
    const which = adjustable.length > 0 ? `only ${adjustable.join(', ')} can be` : 'nothing can be';
    return `settings.${name} cannot be changed for persona "${personaKey}" (${which} changed)`;
  }
  if (name === 'model') {
    const models = allowed.model!;
    return typeof value === 'string' && models.includes(value)
      ? null
      : `settings.model must be one of ${models.map((m) => `"${m}"`).join(', ')} for persona "${personaKey}" (got ${JSON.stringify(value)})`;
  }
  const range = allowed[name]!;
  const integer = PARAMETER_LIMITS[name].integer;
  const ok = typeof value === 'number' && Number.isFinite(value) && (!integer || Number.isInteger(value)) && value >= range.min && value <= range.max;
  return ok
    ? null
    : `settings.${name} must be ${integer ? 'a whole number' : 'a number'} from ${range.min} to ${range.max} for persona "${personaKey}" (got ${JSON.stringify(value)})`;
}

/** The overrides a persona allows, and the names of those it does not (dropped on a persona switch). */
export function allowedSettings(
  personaKey: string,
  allowed: PersonaOverrides | undefined,
  settings: SessionSettings,
): { kept: SessionSettings; dropped: OverridableName[] } {
  const kept: SessionSettings = {};
  const dropped: OverridableName[] = [];
  for (const name of OVERRIDABLE) {
    const value = settings[name];
    if (value === undefined) continue;
    if (overrideProblem(personaKey, allowed, name, value) === null) (kept as Record<string, unknown>)[name] = value;
    else dropped.push(name);
  }
  return { kept, dropped };
}

/** Parses a stored settings field; anything unreadable counts as "no overrides". */
export function parseSettings(text: string | undefined): SessionSettings {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
    const out: SessionSettings = {};
    const record = value as Record<string, unknown>;
    if (typeof record.model === 'string') out.model = record.model;
    for (const name of ['temperature', 'top_p', 'max_tokens'] as const) if (typeof record[name] === 'number') out[name] = record[name] as number;
    return out;
  } catch {
    return {};
  }
}
