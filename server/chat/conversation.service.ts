import { Injectable, NotFoundException } from '@nestjs/common';
import { LiveEventsService } from '../events/live-events.service';
import { mapMessage, MessageDto } from '../sessions/dto/message.dto';
import { mapSession, SessionDto } from '../sessions/dto/session.dto';
import { SESSION_NOT_FOUND } from '../sessions/session-id';
import type { StoredSession } from '../sessions/session.model';
import { messageNotFound, SessionsRepository } from '../sessions/sessions.repository';
import { SessionsService } from '../sessions/sessions.service';
import type { FeedbackDto, MessageVersionsDto } from './dto/conversation.dto';
import { GenerationsService } from './generations.service';

/** Longest display name a session may have (as on create). */
const MAX_DISPLAY_NAME = 200;
const FORK_SUFFIX = ' (fork)';
const MESSAGE_ID_PATTERN = /^[\x21-\x7e]{1,200}$/;

/**
 * The conversation tree beyond sending: switching versions, forking, feedback, deleting a message
 * with what follows it. Operations that move the active path hold the session's generation lock
 * (409 while an answer is being generated), so they never interleave with a send.
 */
@Injectable()
export class ConversationService {
  constructor(
    private readonly sessions: SessionsService,
    private readonly store: SessionsRepository,
    private readonly generations: GenerationsService,
    private readonly live: LiveEventsService,
  ) {}

  /** Makes the branch through the message active (down to its newest leaf); returns the session. */
  async switchPath(userId: string, sessionId: string, messageId: string): Promise<SessionDto> {
    const session = await this.locked(userId, sessionId, messageId, () => this.store.switchPath(userId, sessionId, messageId));
    return this.changed(userId, session);
  }

  /** The ids of the message's versions (same parent), oldest first: what the "‹ n/m ›" arrows switch to. */
  async versions(userId: string, sessionId: string, messageId: string): Promise<MessageVersionsDto> {
    await this.sessions.getSession(userId, sessionId);
    return { ids: this.found(await this.store.versionIds(userId, sessionId, checkedId(messageId))) };
  }

  /** A new session holding the path down to the message, with the same persona, settings and metadata. */
  async fork(userId: string, sessionId: string, messageId: string): Promise<SessionDto> {
    const source = await this.sessions.getSession(userId, sessionId);
    const path = this.found(await this.store.pathTo(userId, sessionId, checkedId(messageId)));
    const name = source.display_name.slice(0, MAX_DISPLAY_NAME - FORK_SUFFIX.length) + FORK_SUFFIX;
    const fork = await this.store.importTree(userId, { display_name: name, persona: source.persona, metadata: source.metadata, settings: source.settings }, path, messageId);
    const dto = mapSession(fork);
    this.live.announce(userId, { type: 'session.created', session_id: fork.id, session: dto });
    return dto;
  }

  async setFeedback(userId: string, sessionId: string, messageId: string, dto: FeedbackDto): Promise<MessageDto> {
    const session = await this.sessions.getSession(userId, sessionId);
    const feedback = { rating: dto.rating, ...(dto.comment !== undefined ? { comment: dto.comment } : {}), updated_at: Date.now() };
    const message = mapMessage(this.found(await this.store.setFeedback(userId, sessionId, checkedId(messageId), feedback)));
    // Other tabs re-read the history (the message may be on a branch they do not show).
    this.changed(userId, session);
    return message;
  }

  /** Removes the message's rating, if it had one (404 for an unknown session or message). */
  async clearFeedback(userId: string, sessionId: string, messageId: string): Promise<void> {
    const session = await this.sessions.getSession(userId, sessionId);
    this.found(await this.store.setFeedback(userId, sessionId, checkedId(messageId), null));
    this.changed(userId, session);
  }

  /** Removes the message and everything below it; returns the session (its active path may have moved up). */
  async deleteMessage(userId: string, sessionId: string, messageId: string): Promise<SessionDto> {
    const session = await this.locked(userId, sessionId, messageId, () => this.store.deleteMessage(userId, sessionId, messageId));
    return this.changed(userId, session);
  }

  /** 404 first (not their session, malformed message id), then 409 while an answer runs. */
  private async locked(userId: string, sessionId: string, messageId: string, run: () => Promise<StoredSession | null>): Promise<StoredSession> {
    await this.sessions.getSession(userId, sessionId);
    checkedId(messageId);
    const generation = await this.generations.begin(userId, sessionId);
    try {
      return this.found(await run());
    } finally {
      await this.generations.end(generation);
    }
  }

  private changed(userId: string, session: StoredSession): SessionDto {
    const dto = mapSession(session);
    this.live.announce(userId, { type: 'session.updated', session_id: session.id, session: dto, changes: ['messages'] });
    return dto;
  }

  private found<T>(value: T | null): T {
    if (!value) throw new NotFoundException(SESSION_NOT_FOUND);
    return value;
  }
}

/** A message id that can name a message at all; anything else is 404 like an unknown id. */
function checkedId(messageId: string): string {
  if (!MESSAGE_ID_PATTERN.test(messageId)) throw new NotFoundException(messageNotFound(messageId.slice(0, 40)));
  return messageId;
}
