import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { SearchController } from './search.controller';
import { SearchService } from './search.service';

/**
 * Full-text search of each identity's sessions (GET /api/search). The index repository is provided
 * by the sessions module: its repository writes index entries in the same MULTI as the messages.
 */
@Module({
  imports: [SessionsModule],
  controllers: [SearchController],
  providers: [SearchService],
})
export class SearchModule {}
