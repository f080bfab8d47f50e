import { Controller, Get } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorBody } from '../common/error-body';
import { Public } from '../identity/public.decorator';
import { SharedConversationDto } from './dto/share.dto';
import { ShareIdParam } from './share-id';
import { SharesService } from './shares.service';

/** What anyone with a share link may read: no sign-in, so no bearer scheme in the spec either. */
@ApiTags('shares')
@Public()
@Controller('api/shared')
export class SharedController {
  constructor(private readonly shares: SharesService) {}

  @Get(':share_id')
  @ApiNotFoundResponse({ type: ErrorBody, description: 'No such link: never made, revoked or expired (also for malformed ids)' })
  @ApiOperation({
    summary: 'Read a shared conversation (no sign-in)',
    description: 'The snapshot behind a share link; it names no identity. Sent with `X-Robots-Tag: noindex` and `Cache-Control: no-store`.',
  })
  getSharedConversation(@ShareIdParam() shareId: string): Promise<SharedConversationDto> {
    return this.shares.getSharedConversation(shareId);
  }
}
