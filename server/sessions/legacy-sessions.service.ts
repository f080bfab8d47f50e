import { Injectable } from '@nestjs/common';
import { LegacySessionClearedDto, LegacySessionCreateDto, LegacySessionCreatedDto, LegacySessionHistoryDto } from './dto/legacy-session.dto';
import type { MessageDto } from './dto/message.dto';
import { SessionsService } from './sessions.service';

/** The v0 API returned the whole history; this many of the newest messages is where it stops. */
export const LEGACY_HISTORY_LIMIT = 1000;

/** The v0 API's calls, mapped onto the sessions model (the session's name is called `user_id` there). */
@Injectable()
export class LegacySessionsService {
  constructor(private readonly sessions: SessionsService) {}

  async createLegacySession(userId: string, dto: LegacySessionCreateDto): Promise<LegacySessionCreatedDto> {
    const session = await this.sessions.create(userId, dto.user_id, dto.persona, dto.metadata);
    return {
      session_id: session.id,
      user_id: session.display_name,
      created_at: new Date(session.created_at).toISOString(),
      persona: session.persona,
    };
  }

  async getLegacyHistory(userId: string, reference: string): Promise<LegacySessionHistoryDto> {
    const session = await this.sessions.resolveSessionReference(userId, reference);
    const page = await this.sessions.messagePage(userId, session.id, LEGACY_HISTORY_LIMIT);
    return {
      session_id: session.id,
      user_id: session.display_name,
      persona: session.persona,
      messages: page.messages.map((json) => JSON.parse(json) as MessageDto),
      count: page.total,
    };
  }

  async clearLegacyHistory(userId: string, reference: string): Promise<LegacySessionClearedDto> {
    const session = await this.sessions.resolveSessionReference(userId, reference);
    await this.sessions.clearSessionHistory(userId, session.id);
    return { session_id: session.id, message: 'History cleared' };
  }
}
