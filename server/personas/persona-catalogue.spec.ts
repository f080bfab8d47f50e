import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parsePersonaCatalogue, PersonaFileError } from './persona-catalogue';

const FILE = 'personas.yaml';

function errorOf(text: string): string {
  try {
    parsePersonaCatalogue(text, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(PersonaFileError);
    return (error as Error).message;
  }
  throw new Error('expected the catalogue to be rejected');
}

/** A valid one-persona catalogue with `extra` lines added to the persona. */
function withPersona(extra: string, prompt = 'system_prompt: Be helpful.'): string {
  return `personas:\n  helper:\n    name: Helper\n    ${prompt}\n${extra
    .split('\n')
    .filter(Boolean)
    .map((l) => `    ${l}`)
    .join('\n')}\n`;
}

describe('parsePersonaCatalogue', () => {
  it('loads the shipped catalogue with the four seed personas', () => {
    const file = resolve(__dirname, '../../config/personas.yaml');
    const catalogue = parsePersonaCatalogue(readFileSync(file, 'utf8'), file);
    expect(catalogue.default_persona).toBe('default');
    expect(catalogue.personas.map((p) => [p.key, p.name])).toEqual([
      ['default', 'Default Assistant'],
      ['mental_health_nurse', 'Mental Health Nurse'],
      ['technical_support', 'Technical Support'],
      ['creative_writer', 'Creative Writer'],
    ]);
    for (const persona of catalogue.personas) {
      expect(persona.description.length).toBeGreaterThan(10);
      expect(persona.system_prompt.length).toBeGreaterThan(100);
      expect(persona.temperature).toEqual(expect.any(Number));
    }
  });

  it('keeps the optional model parameters', () => {
    const catalogue = parsePersonaCatalogue(withPersona('model: gpt-4o-mini\ntemperature: 0.2\nmax_tokens: 500\ntop_p: 0.95'), FILE);
    expect(catalogue).toEqual({
      default_persona: 'helper',
      personas: [
        { key: 'helper', name: 'Helper', description: '', system_prompt: 'Be helpful.', model: 'gpt-4o-mini', temperature: 0.2, max_tokens: 500, top_p: 0.95 },
      ],
    });
  });

  it('reads allow_overrides: ranges (min/max defaulting to the whole range, or true) and a model list', () => {
    const catalogue = parsePersonaCatalogue(
      withPersona('allow_overrides:\n  temperature: {max: 1.2}\n  top_p: true\n  max_tokens: {min: 100, max: 2000}\n  model: [a, b]'),
      FILE,
    );
    expect(catalogue.personas[0].allow_overrides).toEqual({
      temperature: { min: 0, max: 1.2 },
      top_p: { min: 0, max: 1 },
      max_tokens: { min: 100, max: 2000 },
      model: ['a', 'b'],
    });
  });

  it('rejects a bad allow_overrides naming the persona, the parameter and what is expected', () => {
    expect(errorOf(withPersona('allow_overrides:\n  seed: true'))).toContain(
      'persona "helper": field "allow_overrides" "seed" cannot be overridden (allowed: model, temperature, top_p, max_tokens)',
    );
    expect(errorOf(withPersona('allow_overrides:\n  temperature: {min: 0, max: 3}'))).toContain('"temperature.max" must be a number from 0 to 2 (got 3)');
    expect(errorOf(withPersona('allow_overrides:\n  max_tokens: {min: 500, max: 100}'))).toContain('"max_tokens": min (500) must not be above max (100)');
    expect(errorOf(withPersona('allow_overrides:\n  model: gpt-4o'))).toContain('"model" must be a list of model names');
    expect(errorOf(withPersona('allow_overrides: [temperature]'))).toContain('field "allow_overrides" must be a mapping');
  });

  it('rejects malformed YAML naming the file and the line', () => {
    const message = errorOf('personas:\n  helper: [unclosed\n');
    expect(message).toMatch(/^personas\.yaml: not valid YAML: /);
    expect(message).toContain('(3:1)');
  });

  it('rejects a persona without system_prompt naming file, persona and field', () => {
    expect(errorOf(withPersona('', 'description: no prompt'))).toBe(
      'personas.yaml: persona "helper": field "system_prompt" is required',
    );
  });

  it.each([
    ['temperature: 3', 'field "temperature" must be between 0 and 2 (got 3)'],
    ['temperature: hot', 'field "temperature" must be a number'],
    ['top_p: 1.5', 'field "top_p" must be between 0 and 1 (got 1.5)'],
    ['max_tokens: 12.5', 'field "max_tokens" must be a whole number'],
    ['max_tokens: 0', 'field "max_tokens" must be between 1 and 1000000 (got 0)'],
    ['model: 42', 'field "model" must be text'],
    ['temprature: 0.5', 'field "temprature" is not known (allowed: name, description, system_prompt, model, temperature, max_tokens, top_p, allow_overrides)'],
  ])('rejects %s', (line, problem) => {
    expect(errorOf(withPersona(line))).toBe(`personas.yaml: persona "helper": ${problem}`);
  });

  it('lists every problem at once', () => {
    const message = errorOf('personas:\n  a:\n    name: A\n  b:\n    system_prompt: x\n    top_p: 2\n');
    expect(message).toBe(
      'personas.yaml:\n' +
        '  - persona "a": field "system_prompt" is required\n' +
        '  - persona "b": field "name" is required\n' +
        '  - persona "b": field "top_p" must be between 0 and 1 (got 2)',
    );
  });

  it('rejects a file without personas, a bad key and an unknown default', () => {
    expect(errorOf('hello: world\n')).toContain('must be a mapping with a "personas" mapping');
    expect(errorOf('personas: {}\n')).toBe('personas.yaml: "personas" must hold at least one persona');
    expect(errorOf('personas:\n  Bad Key:\n    name: x\n    system_prompt: y\n')).toContain('persona "Bad Key": key must be lowercase');
    expect(errorOf(`default_persona: nobody\n${withPersona('')}`)).toContain('"default_persona" must name one of the personas (helper), got "nobody"');
  });

  it('rejects a duplicated persona key', () => {
    expect(errorOf(`${withPersona('')}  helper:\n    name: Again\n    system_prompt: x\n`)).toMatch(/duplicated mapping key/);
  });
});
