import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorBody } from '../common/error-body';
import { CurrentUser } from '../identity/current-user.decorator';
import type { Identity } from '../identity/identity.types';
import { RateLimit } from '../limits/limits.decorators';
import { SearchPageDto, SearchQueryDto } from './dto/search.dto';
import { SearchService } from './search.service';

@ApiTags('search')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorBody, description: 'Missing or invalid bearer token' })
@Controller('api/search')
export class SearchController {
  constructor(private readonly search: SearchService) {}

  @Get()
  @RateLimit('search')
  @ApiBadRequestResponse({ type: ErrorBody, description: 'q empty, too long or without words; invalid limit or cursor' })
  @ApiOperation({
    summary: 'Search the titles and messages of my sessions',
    description:
      'Words in any language, case and accents ignored; the last word also matches as a prefix while typing. ' +
      'One result per session, best first: sessions holding more of the words, then the most recently active; ' +
      'each points at the matching message (or the title) with an HTML snippet where matches are in `<mark>`. ' +
      'Only the caller\'s own sessions are searched. Limited per identity (RATE_LIMIT_SEARCH_PER_MINUTE).',
  })
  searchSessions(@CurrentUser() me: Identity, @Query() query: SearchQueryDto): Promise<SearchPageDto> {
    return this.search.search(me.user_id, query);
  }
}
