import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { LiveEventsService } from '../events/live-events.service';
import { allowedSettings, OVERRIDABLE, OverridableName, overrideProblem, SessionSettings } from '../personas/persona-overrides';
import { PersonasService } from '../personas/personas.service';
import { decodeMessageCursor, decodeSessionCursor, encodeMessageCursor, encodeSessionCursor } from './cursor';
import { MessageListQueryDto } from './dto/message.dto';
import { BulkAction, BulkStatus, SessionBulkDto, SessionBulkResultDto } from './dto/session-bulk.dto';
import {
  mapSession,
  SessionCreateDto,
  SessionDto,
  SessionListDto,
  SessionListQueryDto,
  SessionSettingsUpdateDto,
  SessionUpdateDto,
  SessionUpdatedDto,
} from './dto/session.dto';
import { isSessionId, SESSION_NOT_FOUND } from './session-id';
import type { SessionFilter } from './session-index';
import type { TagListDto } from './dto/tag.dto';
import type { StoredSession } from './session.model';
import { MessagePage, SessionChanges, SessionsRepository, TooManyTagsError } from './sessions.repository';

export const DEFAULT_PAGE_SIZE = 50;
/** Sessions a bulk action works on at once. */
const BULK_CONCURRENCY = 10;
const MESSAGES_OPEN = '{"messages":[';
const COMMA = 0x2c;

/** The change each bulk action makes (delete aside). */
const BULK_CHANGES: Record<Exclude<BulkAction, 'delete'>, (tag: string) => SessionChanges> = {
  archive: () => ({ archived: true }),
  unarchive: () => ({ archived: false }),
  pin: () => ({ pinned: true }),
  unpin: () => ({ pinned: false }),
  tag: (tag) => ({ addTag: tag }),
  untag: (tag) => ({ removeTag: tag }),
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Chat · 24 Nov 14:05" in UTC: distinguishable in a list, the same on every server. */
export function defaultDisplayName(at: number): string {
  const d = new Date(at);
  const two = (n: number) => String(n).padStart(2, '0');
  return `Chat · ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
}

/** Session rules: ownership (every lookup is within the caller's keys), personas, paging, names. */
@Injectable()
export class SessionsService {
  constructor(
    private readonly sessions: SessionsRepository,
    private readonly personas: PersonasService,
    private readonly live: LiveEventsService,
  ) {}

  /** The caller's session (its TTL renewed), or 404 — also when it belongs to someone else. */
  async getSession(userId: string, sessionId: string): Promise<StoredSession> {
    const session = isSessionId(sessionId) ? await this.sessions.find(userId, sessionId) : null;
    if (!session) throw new NotFoundException(SESSION_NOT_FOUND);
    return session;
  }

  /** getSession as the API shows it. */
  async describeSession(userId: string, sessionId: string): Promise<SessionDto> {
    return mapSession(await this.getSession(userId, sessionId));
  }

  async createSession(userId: string, dto: SessionCreateDto): Promise<SessionDto> {
    return mapSession(await this.create(userId, dto.display_name, dto.persona, dto.metadata));
  }

  /** Shared by the REST and v0 create calls. An absent persona means the catalogue's default. */
  async create(userId: string, displayName?: string, persona?: string, metadata?: Record<string, unknown>): Promise<StoredSession> {
    const key = persona === undefined ? this.personas.defaultKey() : this.personas.require(persona).key;
    const now = Date.now();
    const session = await this.sessions.create(
      userId,
      {
        display_name: displayName || defaultDisplayName(now),
        persona: key,
        metadata: metadata ?? {},
        title_source: displayName ? 'user' : 'default',
      },
      now,
    );
    this.live.announce(userId, { type: 'session.created', session_id: session.id, session: mapSession(session) });
    return session;
  }

  async listSessions(userId: string, query: SessionListQueryDto): Promise<SessionListDto> {
    const after = query.cursor === undefined ? undefined : decodeSessionCursor(query.cursor);
    const filter: SessionFilter = { archived: query.archived ?? false };
    if (query.pinned !== undefined) filter.pinned = query.pinned;
    if (query.tag !== undefined) filter.tag = query.tag;
    if (query.persona !== undefined) filter.persona = query.persona;
    const page = await this.sessions.list(userId, query.limit ?? DEFAULT_PAGE_SIZE, after, filter);
    return {
      sessions: page.sessions.map(mapSession),
      count: page.sessions.length,
      next_cursor: page.next ? encodeSessionCursor(page.next) : null,
    };
  }

  async listTags(userId: string): Promise<TagListDto> {
    return { tags: await this.sessions.tagCounts(userId) };
  }

  async updateSession(userId: string, sessionId: string, dto: SessionUpdateDto): Promise<SessionUpdatedDto> {
    const changes: SessionChanges = {};
    if (dto.display_name !== undefined) {
      if (dto.display_name === '') throw new BadRequestException('display_name must not be empty');
      changes.display_name = dto.display_name;
    }
    if (dto.persona !== undefined) changes.persona = this.personas.require(dto.persona).key;
    if (dto.pinned !== undefined) changes.pinned = dto.pinned;
    if (dto.metadata !== undefined) changes.metadata = dto.metadata;
    if (dto.tags !== undefined) changes.tags = dto.tags;
    if (dto.archived !== undefined) changes.archived = dto.archived;
    if (Object.keys(changes).length === 0 && dto.settings === undefined) {
      throw new BadRequestException('Nothing to update: send at least one of display_name, persona, pinned, metadata, settings, tags, archived');
    }
    let dropped: OverridableName[] = [];
    if (dto.settings !== undefined || changes.persona !== undefined) {
      // Overrides are checked against the persona the session will have; the read also answers 404 first.
      const current = await this.getSession(userId, sessionId);
      const next = this.nextSettings(current.settings, changes.persona ?? current.persona, dto.settings ?? {});
      dropped = next.dropped;
      if (JSON.stringify(next.settings) !== JSON.stringify(current.settings)) changes.settings = next.settings;
      if (Object.keys(changes).length === 0) return { ...mapSession(current), dropped_settings: [] };
    }
    return { ...this.found(await this.change(userId, sessionId, changes)), dropped_settings: dropped };
  }

  /** Applies the changes and announces them; null when there is no such session. */
  private async change(userId: string, sessionId: string, changes: SessionChanges): Promise<SessionDto | null> {
    const stored = isSessionId(sessionId) ? await this.sessions.update(userId, sessionId, changes) : null;
    if (!stored) return null;
    const session = mapSession(stored);
    const names = Object.keys(changes).map((name) => (name === 'addTag' || name === 'removeTag' ? 'tags' : name));
    this.live.announce(userId, { type: 'session.updated', session_id: sessionId, session, changes: names });
    return session;
  }

  /**
   * The overrides after applying `update` under `personaKey`: every value given must be allowed
   * (else one 400 listing each problem, and nothing changes); those kept from before that the
   * persona does not allow are dropped.
   */
  private nextSettings(
    current: SessionSettings,
    personaKey: string,
    update: SessionSettingsUpdateDto,
  ): { settings: SessionSettings; dropped: OverridableName[] } {
    // A session whose persona left the catalogue answers with the default one (as chat does).
    const persona = this.personas.find(personaKey) ?? this.personas.require(this.personas.defaultKey());
    const problems: string[] = [];
    const merged: Record<string, unknown> = { ...current };
    for (const name of OVERRIDABLE) {
      const value = update[name];
      if (value === undefined) continue;
      if (value === null) {
        delete merged[name];
        continue;
      }
      const problem = overrideProblem(persona.key, persona.allow_overrides, name, value);
      if (problem) problems.push(problem);
      merged[name] = value;
    }
    if (problems.length > 0) throw new BadRequestException(`${problems.join('; ')}. Nothing was changed.`);
    const { kept, dropped } = allowedSettings(persona.key, persona.allow_overrides, merged as SessionSettings);
    return { settings: kept, dropped };
  }

  /**
   * One action on many of the caller's sessions. Every lookup is within the caller's own keys, so
   * an id of someone else's session finds nothing (not_found) and changes nothing of theirs.
   */
  async bulkUpdateSessions(userId: string, dto: SessionBulkDto): Promise<SessionBulkResultDto> {
    if ((dto.action === 'tag' || dto.action === 'untag') && dto.tag === undefined) {
      throw new BadRequestException(`action ${dto.action} needs a tag, e.g. {"action": "${dto.action}", "tag": "work"}`);
    }
    const unique = [...new Set(dto.ids)];
    const outcome = new Map<string, BulkStatus>();
    for (let i = 0; i < unique.length; i += BULK_CONCURRENCY) {
      const batch = unique.slice(i, i + BULK_CONCURRENCY);
      const statuses = await Promise.all(batch.map((id) => this.bulkOne(userId, id, dto)));
      batch.forEach((id, j) => outcome.set(id, statuses[j]));
    }
    return { results: dto.ids.map((id) => ({ session_id: id, status: outcome.get(id)! })) };
  }

  private async bulkOne(userId: string, sessionId: string, dto: SessionBulkDto): Promise<BulkStatus> {
    if (!isSessionId(sessionId)) return 'not_found';
    if (dto.action === 'delete') {
      if (!(await this.sessions.delete(userId, sessionId))) return 'not_found';
      this.live.announce(userId, { type: 'session.deleted', session_id: sessionId });
      return 'ok';
    }
    try {
      return (await this.change(userId, sessionId, BULK_CHANGES[dto.action](dto.tag ?? ''))) ? 'ok' : 'not_found';
    } catch (error) {
      if (error instanceof TooManyTagsError) return 'too_many_tags';
      throw error;
    }
  }

  /**
   * Names a session still named by default with a title made for it; false when its name was
   * chosen meanwhile (or it has gone). Announced like any other rename.
   */
  async applyAutoTitle(userId: string, sessionId: string, title: string): Promise<boolean> {
    const stored = await this.sessions.setAutoTitle(userId, sessionId, title);
    if (!stored) return false;
    const session = mapSession(stored);
    this.live.announce(userId, { type: 'session.updated', session_id: sessionId, session, changes: ['display_name'] });
    return true;
  }

  async deleteSession(userId: string, sessionId: string): Promise<void> {
    if (!isSessionId(sessionId) || !(await this.sessions.delete(userId, sessionId))) throw new NotFoundException(SESSION_NOT_FOUND);
    this.live.announce(userId, { type: 'session.deleted', session_id: sessionId });
  }

  async clearSessionHistory(userId: string, sessionId: string): Promise<SessionDto> {
    const session = mapSession(this.found(await this.sessions.clearMessages(userId, sessionId)));
    this.live.announce(userId, { type: 'session.updated', session_id: sessionId, session, changes: ['messages'] });
    return session;
  }

  /**
   * A page of history as MessageListDto's JSON text: messages are stored as their API JSON, so the
   * page is their texts joined, with no parse and serialize per message (history is the hottest read).
   */
  async listSessionMessages(userId: string, sessionId: string, query: MessageListQueryDto): Promise<Buffer> {
    const before = query.before === undefined ? undefined : decodeMessageCursor(query.before);
    const page = this.found(await this.sessions.listMessageBuffers(userId, sessionId, query.limit ?? DEFAULT_PAGE_SIZE, before));
    const cursor = page.nextBefore === null ? null : encodeMessageCursor(page.nextBefore);
    return joinPage(page.messages, `],"next_cursor":${JSON.stringify(cursor)},"total":${page.total}}`);
  }

  /** A page of history (messages as API JSON texts), or 404. */
  async messagePage(userId: string, sessionId: string, limit: number, before?: number): Promise<MessagePage> {
    return this.found(await this.sessions.listMessages(userId, sessionId, limit, before));
  }

  /** v0 API: `{id}` is a session id or the display name of one of the caller's sessions. */
  async resolveSessionReference(userId: string, reference: string): Promise<StoredSession> {
    if (isSessionId(reference)) {
      const session = await this.sessions.find(userId, reference);
      if (session) return session;
    }
    // Names are at most 200 characters; anything longer cannot name a session.
    const name = reference.trim();
    const id = name.length > 0 && name.length <= 200 ? await this.sessions.findIdByName(userId, name) : null;
    return this.found(id === null ? null : await this.sessions.find(userId, id));
  }

  private found<T>(found: T | null): T {
    if (!found) throw new NotFoundException(SESSION_NOT_FOUND);
    return found;
  }
}

/**
 * `{"messages":[` + the stored UTF-8 bytes of each message, comma-separated + `tail`, copied once
 * into one Buffer of the exact size: the messages are never decoded to text nor encoded again.
 */
function joinPage(messages: Buffer[], tail: string): Buffer {
  let size = MESSAGES_OPEN.length + Math.max(0, messages.length - 1) + Buffer.byteLength(tail);
  for (const message of messages) size += message.length;
  const body = Buffer.allocUnsafe(size);
  let at = body.write(MESSAGES_OPEN, 0);
  messages.forEach((message, i) => {
    if (i > 0) body[at++] = COMMA;
    at += message.copy(body, at);
  });
  body.write(tail, at);
  return body;
}
