import { Injectable, NotFoundException } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { PersonasService } from '../personas/personas.service';
import { SESSION_NOT_FOUND } from '../sessions/session-id';
import { SessionsRepository } from '../sessions/sessions.repository';
import type { ConversationTree } from './conversation-tree';
import type { ExportFormat } from './dto/export.dto';
import { toSessionExport } from './formats/nono';
import { toCsv, toMarkdown } from './formats/readable';
import { TransferStore } from './transfer-store';

/** Sessions read per page while exporting everything. */
const EXPORT_PAGE = 100;
/** Sessions read while the previous ones are written. */
const EXPORT_READ_AHEAD = 8;

export interface ExportFile {
  filename: string;
  contentType: string;
  body: string;
}

const TYPES: Record<ExportFormat, { extension: string; contentType: string }> = {
  json: { extension: 'json', contentType: 'application/json; charset=utf-8' },
  markdown: { extension: 'md', contentType: 'text/markdown; charset=utf-8' },
  csv: { extension: 'csv', contentType: 'text/csv; charset=utf-8; header=present' },
};

/** Exports: one session in a chosen format, or every session of the caller as NDJSON. */
@Injectable()
export class ExportService {
  constructor(
    private readonly store: TransferStore,
    private readonly sessions: SessionsRepository,
    private readonly personas: PersonasService,
  ) {}

  async exportSession(userId: string, sessionId: string, format: ExportFormat = 'json'): Promise<ExportFile> {
    const found = await this.store.readSessionTree(userId, sessionId);
    if (!found) throw new NotFoundException(SESSION_NOT_FOUND);
    const { tree } = found;
    const now = Date.now();
    const type = TYPES[format];
    const filename = `${fileStem(tree.title)}-${sessionId}.${type.extension}`;
    let body: string;
    if (format === 'markdown') body = toMarkdown(tree, { key: found.session.persona, name: this.personaName(found.session.persona) }, now);
    else if (format === 'csv') body = toCsv(tree, sessionId);
    else body = `${JSON.stringify(this.exportOf(sessionId, found.session.persona, tree, now), null, 2)}\n`;
    return { filename, contentType: type.contentType, body };
  }

  /** exportAll as a download on an HTTP response. */
  async streamAll(userId: string, res: ServerResponse): Promise<void> {
    res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="nono-chat-export-${new Date().toISOString().slice(0, 10)}.ndjson"`);
    res.setHeader('Cache-Control', 'no-store');
    try {
      await this.exportAll(userId, res);
      res.end();
    } catch (error) {
      // Headers are gone already: cutting the stream short is how the client learns of it.
      res.destroy(error as Error);
    }
  }

  /**
   * Every session of the caller, one SessionExportDto per line, written as it is read: a page of
   * sessions at a time and a few sessions in memory, waiting whenever the client reads slower.
   */
  async exportAll(userId: string, out: Writable): Promise<void> {
    const now = Date.now();
    let after: Parameters<SessionsRepository['list']>[2];
    do {
      const page = await this.sessions.list(userId, EXPORT_PAGE, after);
      // A few sessions read ahead, so their round trips overlap; written in list order.
      const reads = page.sessions.map((listed) => () => this.store.readSessionTree(userId, listed.id));
      const ahead: Array<ReturnType<(typeof reads)[number]>> = [];
      for (let i = 0; i < reads.length; i++) {
        while (ahead.length < EXPORT_READ_AHEAD && i + ahead.length < reads.length) {
          const read = reads[i + ahead.length]();
          read.catch(() => undefined);
          ahead.push(read);
        }
        const found = await ahead.shift()!;
        if (!found) continue; // deleted meanwhile
        const line = `${JSON.stringify(this.exportOf(found.session.id, found.session.persona, found.tree, now))}\n`;
        if (!out.write(line)) await drained(out);
        if (out.destroyed) return;
      }
      after = page.next ?? undefined;
    } while (after !== undefined);
  }

  private exportOf(sessionId: string, persona: string, tree: ConversationTree, now: number) {
    return toSessionExport(tree, { session_id: sessionId, persona, persona_name: this.personaName(persona), exported_at: now });
  }

  private personaName(key: string): string | null {
    return this.personas.find(key)?.name ?? null;
  }
}

/** Resolves when the stream wants more (or is gone), leaving no listener behind. */
function drained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}

/** A file name from a title: letters, digits and dashes, at most 60 characters. */
export function fileStem(title: string): string {
  const stem = title.normalize('NFKD').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60).replace(/-+$/, '');
  return stem === '' ? 'session' : stem.toLowerCase();
}
