import { Module } from '@nestjs/common';
import { LegacySessionsController } from './legacy-sessions.controller';
import { LegacySessionsService } from './legacy-sessions.service';
import { SessionsController } from './sessions.controller';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';
import { TagsController } from './tags.controller';
import { SearchIndexRepository } from '../search/search-index.repository';

/**
 * Sessions: CRUD, index, tags, TTL/pin, history reads and the v0 API. Exports the service (getSession)
 * and the repository (MessageStore: appendMessages, appendAndReadRecent, recentMessages; the conversation tree).
 */
@Module({
  controllers: [SessionsController, LegacySessionsController, TagsController],
  providers: [SessionsRepository, SessionsService, LegacySessionsService, SearchIndexRepository],
  exports: [SessionsService, SessionsRepository, SearchIndexRepository],
})
export class SessionsModule {}
