import { load } from 'js-yaml';
import { NumberRange, PARAMETER_LIMITS, PersonaOverrides } from './persona-overrides';

/** One persona as the catalogue file defines it (snake_case, as in the YAML). */
export interface Persona {
  key: string;
  name: string;
  description: string;
  system_prompt: string;
  model?: string;
  temperature?: number;
  max_tokens?: number;
  top_p?: number;
  /** What a session may override (PATCH /api/sessions/{id} `settings`); absent: nothing. */
  allow_overrides?: PersonaOverrides;
}

export interface PersonaCatalogue {
  default_persona: string;
  personas: Persona[];
}

export class PersonaFileError extends Error {
  constructor(file: string, problems: string[]) {
    super(problems.length === 1 ? `${file}: ${problems[0]}` : `${file}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'PersonaFileError';
  }
}

const KEY_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const KNOWN_FIELDS = new Set(['name', 'description', 'system_prompt', 'model', 'temperature', 'max_tokens', 'top_p', 'allow_overrides']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses and validates a catalogue. Every problem names the persona key and the field, so a broken
 * edit says exactly what to fix.
 */
export function parsePersonaCatalogue(text: string, file: string): PersonaCatalogue {
  let doc: unknown;
  try {
    doc = load(text);
  } catch (error) {
    throw new PersonaFileError(file, [`not valid YAML: ${(error as Error).message}`]);
  }
  if (!isObject(doc) || !isObject(doc.personas)) {
    throw new PersonaFileError(file, ['must be a mapping with a "personas" mapping of persona key → persona']);
  }
  const problems: string[] = [];
  const personas: Persona[] = [];
  for (const [key, raw] of Object.entries(doc.personas)) {
    const where = `persona "${key}"`;
    if (!KEY_PATTERN.test(key)) {
      problems.push(`${where}: key must be lowercase letters, digits, "_" or "-" (at most 64 characters)`);
      continue;
    }
    if (!isObject(raw)) {
      problems.push(`${where}: must be a mapping with name, description and system_prompt`);
      continue;
    }
    const fieldProblem = (field: string, why: string) => problems.push(`${where}: field "${field}" ${why}`);
    for (const field of Object.keys(raw)) {
      if (!KNOWN_FIELDS.has(field)) fieldProblem(field, `is not known (allowed: ${[...KNOWN_FIELDS].join(', ')})`);
    }
    const text = (field: string, required: boolean, max: number): string | undefined => {
      const value = raw[field];
      if (value === undefined || value === null || value === '') {
        if (required) fieldProblem(field, 'is required');
        return undefined;
      }
      if (typeof value !== 'string') {
        fieldProblem(field, 'must be text');
        return undefined;
      }
      if (value.length > max) fieldProblem(field, `must be at most ${max} characters`);
      return value.trim();
    };
    const number = (field: string, min: number, max: number, integer = false): number | undefined => {
      const value = raw[field];
      if (value === undefined || value === null) return undefined;
      if (typeof value !== 'number' || Number.isNaN(value) || (integer && !Number.isInteger(value))) {
        fieldProblem(field, `must be ${integer ? 'a whole number' : 'a number'}`);
        return undefined;
      }
      if (value < min || value > max) {
        fieldProblem(field, `must be between ${min} and ${max} (got ${value})`);
        return undefined;
      }
      return value;
    };
    const persona: Persona = {
      key,
      name: text('name', true, 100) ?? key,
      description: text('description', false, 500) ?? '',
      system_prompt: text('system_prompt', true, 20_000) ?? '',
    };
    const model = text('model', false, 200);
    const temperature = number('temperature', 0, 2);
    const max_tokens = number('max_tokens', 1, 1_000_000, true);
    const top_p = number('top_p', 0, 1);
    if (model !== undefined) persona.model = model;
    if (temperature !== undefined) persona.temperature = temperature;
    if (max_tokens !== undefined) persona.max_tokens = max_tokens;
    if (top_p !== undefined) persona.top_p = top_p;
    if (raw.allow_overrides !== undefined && raw.allow_overrides !== null) {
      const overrides = parseOverrides(raw.allow_overrides, (why) => problems.push(`${where}: field "allow_overrides" ${why}`));
      if (overrides) persona.allow_overrides = overrides;
    }
    personas.push(persona);
  }
  if (personas.length === 0 && problems.length === 0) problems.push('"personas" must hold at least one persona');

  let defaultPersona = personas[0]?.key;
  if (doc.default_persona !== undefined) {
    if (typeof doc.default_persona !== 'string' || !personas.some((p) => p.key === doc.default_persona)) {
      problems.push(
        `"default_persona" must name one of the personas (${personas.map((p) => p.key).join(', ')}), got ${JSON.stringify(doc.default_persona)}`,
      );
    } else {
      defaultPersona = doc.default_persona;
    }
  }
  if (problems.length > 0) throw new PersonaFileError(file, problems);
  return { default_persona: defaultPersona!, personas };
}

const OVERRIDE_FORMAT =
  'must be a mapping of parameter → bounds, e.g. {temperature: {min: 0, max: 1.2}, max_tokens: {max: 2000}, model: [gpt-4o-mini, gpt-4o]}';

/**
 * `allow_overrides`: temperature / top_p / max_tokens each with optional `min` and `max` (default:
 * the parameter's whole range), model as a list of model names. `true` allows the whole range.
 */
function parseOverrides(raw: unknown, problem: (why: string) => void): PersonaOverrides | undefined {
  if (!isObject(raw)) {
    problem(OVERRIDE_FORMAT);
    return undefined;
  }
  const out: PersonaOverrides = {};
  for (const [name, value] of Object.entries(raw)) {
    if (name === 'model') {
      const ok = Array.isArray(value) && value.length > 0 && value.every((m) => typeof m === 'string' && m.trim() !== '' && m.length <= 200);
      if (ok) out.model = (value as string[]).map((m) => m.trim());
      else problem('"model" must be a list of model names, e.g. [gpt-4o-mini, gpt-4o]');
      continue;
    }
    if (name !== 'temperature' && name !== 'top_p' && name !== 'max_tokens') {
      problem(`"${name}" cannot be overridden (allowed: model, temperature, top_p, max_tokens)`);
      continue;
    }
    const range = parseRange(name, value, problem);
    if (range) out[name] = range;
  }
  return out;
}

function parseRange(name: 'temperature' | 'top_p' | 'max_tokens', value: unknown, problem: (why: string) => void): NumberRange | undefined {
  const limits = PARAMETER_LIMITS[name];
  if (value === true) return { min: limits.min, max: limits.max };
  if (!isObject(value) || Object.keys(value).some((k) => k !== 'min' && k !== 'max')) {
    problem(`"${name}" must be a mapping with min and/or max (or true for ${limits.min}-${limits.max})`);
    return undefined;
  }
  const bound = (which: 'min' | 'max'): number | undefined => {
    const n = value[which] ?? limits[which];
    const ok = typeof n === 'number' && (!limits.integer || Number.isInteger(n)) && n >= limits.min && n <= limits.max;
    if (ok) return n;
    problem(`"${name}.${which}" must be ${limits.integer ? 'a whole number' : 'a number'} from ${limits.min} to ${limits.max} (got ${JSON.stringify(n)})`);
    return undefined;
  };
  const [min, max] = [bound('min'), bound('max')];
  if (min === undefined || max === undefined) return undefined;
  if (min > max) {
    problem(`"${name}": min (${min}) must not be above max (${max})`);
    return undefined;
  }
  return { min, max };
}
