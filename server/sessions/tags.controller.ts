import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorBody } from '../common/error-body';
import { CurrentUser } from '../identity/current-user.decorator';
import type { Identity } from '../identity/identity.types';
import { TagListDto } from './dto/tag.dto';
import { SessionsService } from './sessions.service';

@ApiTags('sessions')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorBody, description: 'Missing or invalid bearer token' })
@Controller('api/tags')
export class TagsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @ApiOperation({
    summary: 'List the tags on my sessions, with how many sessions carry each',
    description:
      'Archived sessions count too. Most used first, then by name. A tag no session carries any more ' +
      '(untagged, deleted or expired sessions) is not listed. Use a tag with GET /api/sessions?tag=.',
  })
  listTags(@CurrentUser() me: Identity): Promise<TagListDto> {
    return this.sessions.listTags(me.user_id);
  }
}
