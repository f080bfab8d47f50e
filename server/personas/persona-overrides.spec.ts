import { allowedSettings, overrideProblem, parseSettings, PersonaOverrides } from './persona-overrides';

const allowed: PersonaOverrides = { temperature: { min: 0, max: 1 }, max_tokens: { min: 10, max: 500 }, model: ['a', 'b'] };

describe('persona overrides', () => {
  it('accepts values within the limits and explains every refusal', () => {
    expect(overrideProblem('p', allowed, 'temperature', 1)).toBeNull();
    expect(overrideProblem('p', allowed, 'max_tokens', 10)).toBeNull();
    expect(overrideProblem('p', allowed, 'model', 'b')).toBeNull();
    expect(overrideProblem('p', allowed, 'temperature', 1.01)).toBe('settings.temperature must be a number from 0 to 1 for persona "p" (got 1.01)');
    expect(overrideProblem('p', allowed, 'max_tokens', 20.5)).toBe('settings.max_tokens must be a whole number from 10 to 500 for persona "p" (got 20.5)');
    expect(overrideProblem('p', allowed, 'model', 'c')).toBe('settings.model must be one of "a", "b" for persona "p" (got "c")');
    expect(overrideProblem('p', allowed, 'top_p', 0.5)).toBe('settings.top_p cannot be changed for persona "p" (only model, temperature, max_tokens can be changed)');
    expect(overrideProblem('p', undefined, 'top_p', 0.5)).toBe('settings.top_p cannot be changed for persona "p" (nothing can be changed)');
  });

  it('keeps what a persona allows and names what it drops', () => {
    expect(allowedSettings('p', allowed, { model: 'z', temperature: 0.5, top_p: 0.3, max_tokens: 600 })).toEqual({
      kept: { temperature: 0.5 },
      dropped: ['model', 'top_p', 'max_tokens'],
    });
  });

  it('reads stored settings, ignoring anything unreadable', () => {
    expect(parseSettings('{"temperature":0.2,"model":"a","top_p":"x","other":1}')).toEqual({ temperature: 0.2, model: 'a' });
    expect(parseSettings('not json')).toEqual({});
    expect(parseSettings(undefined)).toEqual({});
  });
});
