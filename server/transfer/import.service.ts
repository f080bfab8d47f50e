import { BadRequestException, ForbiddenException, HttpException, Inject, Injectable, PayloadTooLargeException, UnsupportedMediaTypeException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { appConfig, AppConfig, limitsConfig, LimitsConfig } from '../config/config';
import { QuotaService } from '../limits/quota.service';
import { PersonasService } from '../personas/personas.service';
import { activePath, ConversationTree, ImportFormatError } from './conversation-tree';
import { toConversationTree } from './formats/detect';
import { ImportedConversationDto, ImportQueryDto, ImportReportDto } from './dto/import.dto';
import { ImportRecordsRepository } from './import-records.repository';
import { JsonElementSplitter, parseElement } from './json-elements';
import { TransferStore } from './transfer-store';

/** The tag every imported session carries. */
export const IMPORTED_TAG = 'imported';

/**
 * Conversations stored at once. Each takes a few round trips to the store; overlapping them keeps
 * an import from waiting on latency. (The session quota is checked per conversation, so an import
 * can pass MAX_SESSIONS_PER_IDENTITY by at most this many minus one.)
 */
const IMPORT_CONCURRENCY = 8;

/** No single conversation may be larger: it is parsed in one piece. */
export const MAX_CONVERSATION_BYTES = 64 * 1024 * 1024;

/** The request body as it arrives, with the length it announced (if any). */
export interface ImportBody {
  stream: Readable;
  contentLength: number | undefined;
  contentType: string | undefined;
}

/** What this import has created so far, to undo if the file turns out malformed. */
interface Undo {
  sessions: Array<{ id: string; name: string }>;
  records: string[];
  /** Source keys of this file's conversations so far (a conversation twice in one file is stored once). */
  keys: Set<string>;
}

/**
 * Imports a file of conversations (this server's JSON/NDJSON export, ChatGPT's or Claude's
 * conversations.json) as it streams in: each conversation is parsed, converted to a tree and
 * stored before the next is read, so memory stays bounded by the largest conversation. A
 * conversation already imported (same source and content) is skipped. A file that turns out
 * malformed or truncated is refused with a 400 naming the first problem, and whatever this
 * request had stored is removed again.
 */
@Injectable()
export class ImportService {
  constructor(
    private readonly store: TransferStore,
    private readonly records: ImportRecordsRepository,
    private readonly personas: PersonasService,
    private readonly quotas: QuotaService,
    @Inject(appConfig.KEY) private readonly app: AppConfig,
    @Inject(limitsConfig.KEY) private readonly limits: LimitsConfig,
  ) {}

  async importFile(userId: string, body: ImportBody, query: ImportQueryDto): Promise<ImportReportDto> {
    const persona = query.persona === undefined ? undefined : this.personas.require(query.persona).key;
    const max = this.app.importMaxBytes;
    if (body.contentLength !== undefined && body.contentLength > max) throw this.tooLarge();
    if (/^multipart\//i.test(body.contentType ?? '')) {
      throw new UnsupportedMediaTypeException('Send the file itself as the request body (e.g. Content-Type: application/json), not in a multipart form.');
    }
    const report: ImportReportDto = { format: '', imported: 0, skipped: 0, messages: 0, conversations: [] };
    const undo: Undo = { sessions: [], records: [], keys: new Set() };
    const formats = new Set<string>();
    const splitter = new JsonElementSplitter(MAX_CONVERSATION_BYTES);
    let received = 0;
    // Conversations being stored while the next ones are read: their round trips to the store overlap.
    const pending: Array<Promise<ImportedConversationDto>> = [];
    const settle = async (atMost: number) => {
      while (pending.length > atMost) report.conversations.push(await pending[0]), pending.shift();
    };
    try {
      // Not destroyed when a problem stops the loop: the rest is drained, so the 400 reaches the client.
      for await (const chunk of body.stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
        received += chunk.length;
        if (received > max) throw this.tooLarge();
        for (const element of splitter.push(chunk)) {
          const tree = toConversationTree(parseElement(element), element.index);
          formats.add(tree.source);
          const outcome = this.importOne(userId, tree, element.index, persona, undo);
          outcome.catch(() => undefined); // awaited below, in order; never an unhandled rejection meanwhile
          pending.push(outcome);
          await settle(IMPORT_CONCURRENCY - 1);
        }
      }
      splitter.end();
      await settle(0);
    } catch (error) {
      body.stream.resume();
      await Promise.allSettled(pending);
      await this.undo(userId, undo);
      if (error instanceof ImportFormatError) throw new BadRequestException(`${error.message} Nothing was imported.`);
      throw error;
    }
    for (const c of report.conversations) {
      if (c.outcome === 'imported') {
        report.imported++;
        report.messages += c.messages;
      } else report.skipped++;
    }
    report.format = formats.size === 1 ? [...formats][0] : formats.size === 0 ? 'none' : 'mixed';
    return report;
  }

  private async importOne(userId: string, tree: ConversationTree, index: number, persona: string | undefined, undo: Undo): Promise<ImportedConversationDto> {
    const sourceKey = sourceKeyOf(tree);
    const base = { position: index + 1, title: tree.title, source: tree.source };
    const skipped = (reason: string): ImportedConversationDto => ({ ...base, outcome: 'skipped', session_id: null, messages: 0, omitted: 0, reason });
    if (undo.keys.has(sourceKey)) return skipped('The same conversation appears earlier in this file.');
    undo.keys.add(sourceKey);
    const earlier = await this.records.find(userId, sourceKey);
    if (earlier !== null && (await this.store.hasSession(userId, earlier))) {
      return { ...base, outcome: 'skipped', session_id: earlier, messages: 0, omitted: 0, reason: `Already imported as session ${earlier}.` };
    }
    const maxMessages = this.limits.maxMessagesPerSession;
    if (maxMessages > 0 && activePath(tree).length > maxMessages) {
      return skipped(`It has more messages than a session may hold (MAX_MESSAGES_PER_SESSION=${maxMessages}).`);
    }
    try {
      await this.quotas.check('sessions_per_identity', userId, undefined);
    } catch (error) {
      if (error instanceof ForbiddenException) return skipped(error.message);
      throw error;
    }
    const written = await this.store.writeSessionTree(userId, tree, { persona: persona ?? this.personaFor(tree), tags: [IMPORTED_TAG] });
    undo.sessions.push({ id: written.session.id, name: written.session.display_name });
    await this.records.record(userId, sourceKey, written.session.id);
    undo.records.push(sourceKey);
    return { ...base, outcome: 'imported', session_id: written.session.id, messages: written.stored, omitted: written.omitted, reason: null };
  }

  /** An export of this server keeps its persona where it exists here; anything else gets the default. */
  private personaFor(tree: ConversationTree): string {
    return tree.persona !== undefined && this.personas.find(tree.persona) ? tree.persona : this.personas.defaultKey();
  }

  private async undo(userId: string, undo: Undo): Promise<void> {
    await this.records.forget(userId, undo.records);
    for (const session of undo.sessions) await this.store.deleteSession(userId, session.id, session.name);
  }

  private tooLarge(): HttpException {
    return new PayloadTooLargeException(`The file is larger than the ${this.app.importMaxBytes}-byte import limit (IMPORT_MAX_BYTES). Nothing was imported.`);
  }
}

/** Identifies a conversation across imports: where it came from, its id there, and its content. */
export function sourceKeyOf(tree: ConversationTree): string {
  const hash = createHash('sha256');
  hash.update(tree.title).update('\n');
  for (const m of tree.messages) hash.update(`${m.id}\n${m.parent_id ?? ''}\n${m.role}\n${m.created_at}\n${m.content.length}\n`).update(m.content);
  return `${tree.source}:${tree.source_id ?? ''}:${hash.digest('base64url').slice(0, 32)}`;
}
