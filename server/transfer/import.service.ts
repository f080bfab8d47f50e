import { BadRequestException, HttpException, Inject, Injectable, PayloadTooLargeException, UnsupportedMediaTypeException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { appConfig, AppConfig, limitsConfig, LimitsConfig } from '../config/config';
import type { LiveEventDto } from '../events/dto/live-event.dto';
import { LiveEventsService } from '../events/live-events.service';
import { QuotaService } from '../limits/quota.service';
import { PersonasService } from '../personas/personas.service';
import { mapSession, SessionDto } from '../sessions/dto/session.dto';
import { activePath, ConversationTree, ImportFormatError } from './conversation-tree';
import { toConversationTree } from './formats/detect';
import { ImportedConversationDto, ImportQueryDto, ImportReportDto } from './dto/import.dto';
import { ImportRecordsRepository } from './import-records.repository';
import { JsonElementSplitter, parseElement } from './json-elements';
import { TransferStore } from './transfer-store';

/** The tag every imported session carries. */
export const IMPORTED_TAG = 'imported';

/** Conversations per batch: their look-ups share one round trip, and their MULTIs are sent together. */
const BATCH_CONVERSATIONS = 64;
/**
 * A batch is also sent once its conversations reach this many bytes of the file. Small batches keep
 * what is held while the store answers small (and short-lived, so the garbage collector keeps the
 * heap small too); a round trip per 256 KB costs little next to parsing them.
 */
const BATCH_BYTES = 256 * 1024;
/**
 * Batches sent and not yet answered, counting the newest: the next batch is read while the one
 * before it is stored. Beyond that, reading waits: the request stream stays paused and TCP holds
 * the sender back, so memory does not follow the file however fast it arrives.
 */
const BATCHES_IN_FLIGHT = 2;
/** The report lists the file's first conversations, then skipped ones, up to twice this many rows. */
const REPORT_ROWS = 100;
/** Sessions removed at once when a malformed file is undone. */
const UNDO_CONCURRENCY = 16;

/** No single conversation may be larger: it is parsed in one piece. */
export const MAX_CONVERSATION_BYTES = 64 * 1024 * 1024;

/** The request body as it arrives, with the length it announced (if any). */
export interface ImportBody {
  stream: Readable;
  contentLength: number | undefined;
  contentType: string | undefined;
}

/** A conversation read from the file, waiting in a batch. */
interface ReadConversation {
  tree: ConversationTree;
  index: number;
  sourceKey: string;
}

/** One request's import: who, with what persona, and what it has created so far (to undo if the file turns out malformed). */
/** Sessions announced to the identity's other tabs per live-event message after an import. */
const ANNOUNCE_BATCH = 100;

interface ImportRun {
  userId: string;
  persona: string | undefined;
  /** Sessions stored (as announced once the import stands), and the source keys recorded for them (or attempted). */
  sessions: SessionDto[];
  records: string[];
  /** Source keys of this file's conversations so far (a conversation twice in one file is stored once). */
  keys: Set<string>;
  /** How many sessions the identity could still make when the import began (session quota on). */
  room?: Promise<number>;
  /** Sessions this import has claimed of that room. */
  claimed: number;
}

/**
 * Imports a file of conversations (this server's JSON/NDJSON export, ChatGPT's or Claude's
 * conversations.json) as it streams in: each conversation is parsed and converted to a tree, and
 * conversations are stored in batches (one look-up round trip and one round trip of MULTIs per
 * batch, a MULTI per conversation) while the next batch is read; memory stays bounded by a few
 * batches. A conversation already imported (same source and content) is skipped. A file that turns
 * out malformed or truncated is refused with a 400 naming the first problem, and whatever this
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
    private readonly live: LiveEventsService,
  ) {}

  async importFile(userId: string, body: ImportBody, query: ImportQueryDto): Promise<ImportReportDto> {
    const persona = query.persona === undefined ? undefined : this.personas.require(query.persona).key;
    const max = this.app.importMaxBytes;
    if (body.contentLength !== undefined && body.contentLength > max) throw this.tooLarge();
    if (/^multipart\//i.test(body.contentType ?? '')) {
      throw new UnsupportedMediaTypeException('Send the file itself as the request body (e.g. Content-Type: application/json), not in a multipart form.');
    }
    const report: ImportReportDto = { format: '', imported: 0, skipped: 0, messages: 0, conversations: [], unlisted: 0 };
    const run: ImportRun = { userId, persona, sessions: [], records: [], keys: new Set(), claimed: 0 };
    const formats = new Set<string>();
    const splitter = new JsonElementSplitter(MAX_CONVERSATION_BYTES);
    let received = 0;
    let batch: ReadConversation[] = [];
    let batchBytes = 0;
    // Batches being stored while the next is read, oldest first (reported in file order).
    const inFlight: Array<Promise<ImportedConversationDto[]>> = [];
    const send = () => {
      if (batch.length === 0) return;
      const stored = this.storeBatch(run, batch);
      stored.catch(() => undefined); // awaited below, in order; never an unhandled rejection meanwhile
      inFlight.push(stored);
      batch = [];
      batchBytes = 0;
    };
    const settle = async (atMost: number) => {
      while (inFlight.length > atMost) addToReport(report, await inFlight[0]), inFlight.shift();
    };
    try {
      // Not destroyed when a problem stops the loop: the rest is drained, so the 400 reaches the client.
      for await (const chunk of body.stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
        received += chunk.length;
        if (received > max) throw this.tooLarge();
        for (const element of splitter.push(chunk)) {
          const tree = toConversationTree(parseElement(element), element.index);
          formats.add(tree.source);
          batch.push({ tree, index: element.index, sourceKey: sourceKeyOf(tree) });
          batchBytes += element.text.length;
          if (batch.length >= BATCH_CONVERSATIONS || batchBytes >= BATCH_BYTES) {
            send();
            await settle(BATCHES_IN_FLIGHT - 1);
          }
        }
      }
      splitter.end();
      send();
      await settle(0);
    } catch (error) {
      body.stream.resume();
      await Promise.allSettled(inFlight);
      await this.undo(run);
      if (error instanceof ImportFormatError) throw new BadRequestException(`${error.message} Nothing was imported.`);
      throw error;
    }
    report.format = formats.size === 1 ? [...formats][0] : formats.size === 0 ? 'none' : 'mixed';
    // Other tabs and devices hear of the new sessions once the import stands (a failed one is undone
    // and announces nothing), ANNOUNCE_BATCH to a message.
    for (let i = 0; i < run.sessions.length; i += ANNOUNCE_BATCH) {
      this.live.announce(userId, ...run.sessions.slice(i, i + ANNOUNCE_BATCH).map((session): LiveEventDto => ({ type: 'session.created', session_id: session.session_id, session })));
    }
    return report;
  }

  /**
   * Stores a batch: one round trip finds which conversations were imported before, then each new
   * one is written in its own MULTI together with its import record, all MULTIs sent at once.
   * Throws when any conversation could not be stored (after removing what it had left).
   */
  private async storeBatch(run: ImportRun, batch: ReadConversation[]): Promise<ImportedConversationDto[]> {
    const outcomes: ImportedConversationDto[] = new Array(batch.length);
    // Decided in file order, before the first await: batches are started in order.
    const fresh: number[] = [];
    batch.forEach((c, i) => {
      if (run.keys.has(c.sourceKey)) outcomes[i] = skipped(c, 'The same conversation appears earlier in this file.');
      else run.keys.add(c.sourceKey), fresh.push(i);
    });
    const earlier = await this.records.findMany(run.userId, fresh.map((i) => batch[i].sourceKey));
    const earlierIds = earlier.filter((id): id is string => id !== null);
    const alive = await this.store.sessionsExist(run.userId, earlierIds);
    const kept = new Set(earlierIds.filter((_id, k) => alive[k]));
    const toWrite: number[] = [];
    const maxMessages = this.limits.maxMessagesPerSession;
    fresh.forEach((i, k) => {
      const id = earlier[k];
      if (id !== null && kept.has(id)) outcomes[i] = { ...skipped(batch[i], `Already imported as session ${id}.`), session_id: id };
      else if (maxMessages > 0 && activePath(batch[i].tree).length > maxMessages) {
        outcomes[i] = skipped(batch[i], `It has more messages than a session may hold (MAX_MESSAGES_PER_SESSION=${maxMessages}).`);
      } else toWrite.push(i);
    });
    const allowed = await this.claimRoom(run, toWrite.length);
    for (const i of toWrite.slice(allowed)) outcomes[i] = skipped(batch[i], this.quotas.sessionLimitMessage(this.limits.maxSessionsPerIdentity));
    const writing = toWrite.slice(0, allowed);
    run.records.push(...writing.map((i) => batch[i].sourceKey));
    const written = await this.store.writeSessionTrees(
      run.userId,
      writing.map((i) => ({
        tree: batch[i].tree,
        options: { persona: run.persona ?? this.personaFor(batch[i].tree), tags: [IMPORTED_TAG] },
        alsoWrite: (tx, sessionId) => this.records.queueRecord(tx, run.userId, batch[i].sourceKey, sessionId),
      })),
    );
    let failure: Error | undefined;
    written.forEach((result, k) => {
      if ('error' in result) return void (failure ??= result.error);
      run.sessions.push(mapSession(result.session));
      const c = batch[writing[k]];
      outcomes[writing[k]] = { ...row(c), outcome: 'imported', session_id: result.session.id, messages: result.stored, omitted: result.omitted, reason: null };
    });
    if (failure) throw failure;
    return outcomes;
  }

  /** How many of `wanted` new sessions the session quota still allows this import (all while it is off). */
  private async claimRoom(run: ImportRun, wanted: number): Promise<number> {
    if (wanted === 0 || this.limits.maxSessionsPerIdentity === 0) return wanted;
    run.room ??= this.quotas.sessionsLeft(run.userId);
    const left = (await run.room) - run.claimed;
    const allowed = Math.max(0, Math.min(wanted, left));
    run.claimed += allowed;
    return allowed;
  }

  /** An export of this server keeps its persona where it exists here; anything else gets the default. */
  private personaFor(tree: ConversationTree): string {
    return tree.persona !== undefined && this.personas.find(tree.persona) ? tree.persona : this.personas.defaultKey();
  }

  private async undo(run: ImportRun): Promise<void> {
    await this.records.forget(run.userId, run.records);
    for (let i = 0; i < run.sessions.length; i += UNDO_CONCURRENCY) {
      await Promise.all(run.sessions.slice(i, i + UNDO_CONCURRENCY).map((s) => this.store.deleteSession(run.userId, s.session_id, s.display_name)));
    }
  }

  private tooLarge(): HttpException {
    return new PayloadTooLargeException(`The file is larger than the ${this.app.importMaxBytes}-byte import limit (IMPORT_MAX_BYTES). Nothing was imported.`);
  }
}

function row(c: ReadConversation): Pick<ImportedConversationDto, 'position' | 'title' | 'source'> {
  return { position: c.index + 1, title: c.tree.title, source: c.tree.source };
}

function skipped(c: ReadConversation, reason: string): ImportedConversationDto {
  return { ...row(c), outcome: 'skipped', session_id: null, messages: 0, omitted: 0, reason };
}

/** Counts a batch's outcomes; lists the file's first conversations, then skipped ones (see REPORT_ROWS). */
function addToReport(report: ImportReportDto, outcomes: ImportedConversationDto[]): void {
  for (const c of outcomes) {
    if (c.outcome === 'imported') {
      report.imported++;
      report.messages += c.messages;
    } else report.skipped++;
    const listed = report.conversations.length;
    if (listed < REPORT_ROWS || (c.outcome === 'skipped' && listed < 2 * REPORT_ROWS)) report.conversations.push(c);
    else report.unlisted++;
  }
}

/** Identifies a conversation across imports: where it came from, its id there, and its content. */
export function sourceKeyOf(tree: ConversationTree): string {
  const hash = createHash('sha256');
  hash.update(tree.title).update('\n');
  for (const m of tree.messages) hash.update(`${m.id}\n${m.parent_id ?? ''}\n${m.role}\n${m.created_at}\n${m.content.length}\n`).update(m.content);
  return `${tree.source}:${tree.source_id ?? ''}:${hash.digest('base64url').slice(0, 32)}`;
}
