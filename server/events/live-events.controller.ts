import { Controller, Get, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentUser } from '../identity/current-user.decorator';
import type { Identity } from '../identity/identity.types';
import { LIVE_EVENT_TYPES, LiveEventDto } from './dto/live-event.dto';
import { LiveEventsStreamService } from './live-events-stream.service';

/** The JSON `data` of each event in `x-events`, as the chat streams name theirs (OpenAPI 3.0 has no item schema). */
function liveEventsMediaType() {
  return {
    schema: { type: 'string', example: 'event: session.created\ndata: {"type":"session.created",...}\n\n' },
    'x-events': Object.fromEntries(LIVE_EVENT_TYPES.map((type) => [type, { $ref: getSchemaPath(LiveEventDto) }])),
  };
}

@ApiTags('events')
@ApiBearerAuth()
@Controller('api/events')
export class LiveEventsController {
  constructor(private readonly stream: LiveEventsStreamService) {}

  @Get()
  @ApiOperation({
    summary: 'Follow changes to my sessions as they happen (server-sent events)',
    description: [
      'An event stream for the caller\'s identity, from every server instance: `session.created`,',
      '`session.updated` (renamed, pinned, persona or metadata changed), `session.deleted`,',
      '`message.stored`, `generation.started`, `generation.finished`. Each event\'s data is a',
      '`LiveEventDto`. The stream starts with a `ready` event once it is subscribed; comments',
      '(`: keep-alive`) keep proxies from closing it while nothing happens. When the server shuts',
      'down it ends with an `interrupted` event: reconnect (another instance will answer).',
    ].join('\n'),
  })
  @ApiExtraModels(LiveEventDto)
  @ApiOkResponse({
    description: 'The event stream.',
    content: { 'text/event-stream': liveEventsMediaType() },
  })
  followEvents(@CurrentUser() me: Identity, @Res() res: Response): Promise<void> {
    return this.stream.follow(me.user_id, res);
  }
}
