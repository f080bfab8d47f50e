import { BadRequestException, Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { FSWatcher, readFileSync, watch } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { appConfig, AppConfig } from '../config/config';
import { parsePersonaCatalogue, Persona, PersonaCatalogue, PersonaFileError } from './persona-catalogue';

/**
 * The persona catalogue from PERSONAS_FILE. A bad file stops the start; a bad edit while running
 * keeps the last good catalogue and logs why. Edits are picked up without a restart.
 */
@Injectable()
export class PersonasService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PersonasService.name);
  private readonly file: string;
  private catalogue: PersonaCatalogue;
  private lastText?: string;
  private rejectedText?: string;
  private watcher?: FSWatcher;
  private reloadTimer?: NodeJS.Timeout;

  constructor(@Inject(appConfig.KEY) config: AppConfig) {
    this.file = resolve(config.personasFile);
  }

  onModuleInit(): void {
    this.catalogue = this.read();
    this.logger.log(`Loaded ${this.catalogue.personas.length} personas from ${this.file}`);
    // Watch the folder, not the file: editors save by replacing the file, which ends a file watch,
    // and mounted config (Kubernetes ConfigMaps) changes by swapping a symlink beside it. Any change
    // in the folder triggers a re-read; an unchanged file is ignored.
    try {
      this.watcher = watch(dirname(this.file), () => this.scheduleReload());
      this.watcher.on('error', (error) => this.logger.warn(`Stopped watching ${this.file}: ${error.message}`));
      this.watcher.unref();
    } catch (error) {
      this.logger.warn(`Cannot watch ${this.file} for changes: ${(error as Error).message}`);
    }
  }

  onModuleDestroy(): void {
    this.watcher?.close();
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
  }

  private readText(): string {
    try {
      return readFileSync(this.file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable (permission denied)' : (error as Error).message;
      throw new PersonaFileError(this.file, [
        `the persona file ${why}. Set PERSONAS_FILE to the persona catalogue (default config/personas.yaml).`,
      ]);
    }
  }

  private read(): PersonaCatalogue {
    const text = this.readText();
    const catalogue = parsePersonaCatalogue(text, this.file);
    this.lastText = text;
    return catalogue;
  }

  private scheduleReload(): void {
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => this.reload(), 100);
    this.reloadTimer.unref();
  }

  /**
   * Re-reads the file; on failure the current catalogue stays. Returns whether it changed. A text
   * already loaded or already rejected is skipped, so unrelated changes in the folder stay silent.
   */
  reload(): boolean {
    let text: string | undefined;
    try {
      text = this.readText();
      if (text === this.lastText || text === this.rejectedText) return false;
      this.catalogue = parsePersonaCatalogue(text, this.file);
      this.lastText = text;
      this.rejectedText = undefined;
      this.logger.log(`Reloaded ${this.catalogue.personas.length} personas from ${this.file}`);
      return true;
    } catch (error) {
      this.rejectedText = text;
      this.logger.error(`Kept the previous personas: ${(error as Error).message}`);
      return false;
    }
  }

  list(): Persona[] {
    return this.catalogue.personas;
  }

  defaultKey(): string {
    return this.catalogue.default_persona;
  }

  find(key: string): Persona | undefined {
    return this.catalogue.personas.find((p) => p.key === key);
  }

  /** The persona, or a 400 that lists the valid keys. */
  require(key: string): Persona {
    const persona = this.find(key);
    if (!persona) {
      throw new BadRequestException(
        `Unknown persona ${JSON.stringify(key)}. Valid personas: ${this.catalogue.personas.map((p) => p.key).join(', ')}.`,
      );
    }
    return persona;
  }
}
