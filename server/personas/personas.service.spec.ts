import { Logger } from '@nestjs/common';
import { chmodSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AppConfig } from '../config/config';
import { PersonasService } from './personas.service';

const SHIPPED = readFileSync(resolve(__dirname, '../../config/personas.yaml'), 'utf8');

function catalogue(...keys: string[]): string {
  return `personas:\n${keys.map((k) => `  ${k}:\n    name: ${k.toUpperCase()}\n    system_prompt: You are ${k}.\n`).join('')}`;
}

/** Polls until `check` holds (the watcher debounces edits by 100 ms). */
async function eventually(check: () => boolean, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('PersonasService', () => {
  let dir: string;
  let file: string;
  let service: PersonasService | undefined;
  let errors: string[];

  function start(path = file): PersonasService {
    service = new PersonasService({ personasFile: path } as AppConfig);
    service.onModuleInit();
    return service;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nono-personas-'));
    file = join(dir, 'personas.yaml');
    errors = [];
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => {
      errors.push(String(message));
    });
  });

  afterEach(() => {
    service?.onModuleDestroy();
    service = undefined;
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the shipped catalogue', () => {
    writeFileSync(file, SHIPPED);
    const personas = start();
    expect(personas.list().map((p) => p.key)).toEqual(['default', 'mental_health_nurse', 'technical_support', 'creative_writer']);
    expect(personas.defaultKey()).toBe('default');
    expect(personas.require('technical_support').name).toBe('Technical Support');
    expect(() => personas.require('pirate')).toThrow(
      'Unknown persona "pirate". Valid personas: default, mental_health_nurse, technical_support, creative_writer.',
    );
  });

  it('refuses to start with a missing file, naming it and PERSONAS_FILE', () => {
    expect(() => start(join(dir, 'nope.yaml'))).toThrow(
      `${join(dir, 'nope.yaml')}: the persona file does not exist. Set PERSONAS_FILE to the persona catalogue (default config/personas.yaml).`,
    );
  });

  it('refuses to start with an unreadable file', () => {
    if (process.getuid?.() === 0) return; // root reads any file
    writeFileSync(file, SHIPPED);
    chmodSync(file, 0o000);
    expect(() => start()).toThrow('is not readable (permission denied)');
  });

  it('refuses to start with an invalid file, naming the file, persona and field', () => {
    writeFileSync(file, 'personas:\n  helper:\n    name: Helper\n');
    expect(() => start()).toThrow(`${file}: persona "helper": field "system_prompt" is required`);
  });

  it('picks up an edit while running', async () => {
    writeFileSync(file, catalogue('alpha'));
    const personas = start();
    writeFileSync(file, catalogue('alpha', 'beta'));
    await eventually(() => personas.list().length === 2);
    expect(personas.find('beta')?.system_prompt).toBe('You are beta.');
  });

  it('picks up a file replaced the way editors save (write elsewhere, rename over)', async () => {
    writeFileSync(file, catalogue('alpha'));
    const personas = start();
    writeFileSync(join(dir, '.personas.yaml.swp'), catalogue('gamma'));
    renameSync(join(dir, '.personas.yaml.swp'), file);
    await eventually(() => personas.find('gamma') !== undefined);
    // The watch survives the replacement.
    writeFileSync(file, catalogue('delta'));
    await eventually(() => personas.find('delta') !== undefined);
  });

  it('keeps the last good catalogue when an edit breaks the file, and logs why', async () => {
    writeFileSync(file, catalogue('alpha'));
    const personas = start();
    writeFileSync(file, 'personas:\n  alpha:\n    name: Alpha\n    temperature: 9\n');
    await eventually(() => errors.length > 0);
    expect(errors[0]).toContain(`Kept the previous personas: ${file}:`);
    expect(errors[0]).toContain('persona "alpha": field "system_prompt" is required');
    expect(errors[0]).toContain('persona "alpha": field "temperature" must be between 0 and 2 (got 9)');
    expect(personas.list().map((p) => p.key)).toEqual(['alpha']);
    // Deleting the file also keeps the catalogue; restoring it reloads.
    rmSync(file);
    await eventually(() => errors.some((e) => e.includes('does not exist')));
    expect(personas.list().map((p) => p.key)).toEqual(['alpha']);
    writeFileSync(file, catalogue('omega'));
    await eventually(() => personas.find('omega') !== undefined);
  });

  it('ignores changes to other files in the folder', () => {
    writeFileSync(file, catalogue('alpha'));
    const personas = start();
    writeFileSync(join(dir, 'notes.txt'), 'unrelated');
    expect(personas.reload()).toBe(false);
    expect(errors).toEqual([]);
  });
});
