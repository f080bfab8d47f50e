import { Controller, Get, HttpCode, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ErrorBody } from '../common/error-body';
import { CurrentUser } from '../identity/current-user.decorator';
import type { Identity } from '../identity/identity.types';
import { RateLimit } from '../limits/limits.decorators';
import { SessionIdParam } from '../sessions/session-id';
import { SessionExportQueryDto } from './dto/export.dto';
import { ImportQueryDto, ImportReportDto } from './dto/import.dto';
import { SessionExportDto } from './dto/session-export.dto';
import { ExportService } from './export.service';
import { ImportService } from './import.service';

const NOT_FOUND_DOC = 'No such session among mine (also for malformed ids and other people\'s sessions)';
const FILE = { type: 'string', format: 'binary' } as const;

@ApiTags('transfer')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorBody, description: 'Missing or invalid bearer token' })
@ApiExtraModels(SessionExportDto)
@Controller('api')
export class TransferController {
  constructor(
    private readonly exports: ExportService,
    private readonly imports: ImportService,
  ) {}

  @Get('sessions/:id/export')
  @ApiBadRequestResponse({ type: ErrorBody, description: 'Unknown format' })
  @ApiNotFoundResponse({ type: ErrorBody, description: NOT_FOUND_DOC })
  @ApiOperation({
    summary: 'Download one session: json (lossless), markdown or csv',
    description:
      'A download (`Content-Disposition: attachment`). json is SessionExportDto: the session, its persona, tags, metadata and ' +
      'every message with its parent (`parent_id`), usage and feedback, versioned; POST /api/import reads it back. markdown is ' +
      'the conversation as shown, for reading; csv has a row per message (RFC 4180; cells a spreadsheet would run as a formula ' +
      'start with an apostrophe).',
  })
  @ApiOkResponse({
    description: 'The file',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(SessionExportDto) } },
      'text/markdown': { schema: { type: 'string' } },
      'text/csv': { schema: { type: 'string' } },
    },
  })
  async exportSession(@CurrentUser() me: Identity, @SessionIdParam() id: string, @Query() query: SessionExportQueryDto): Promise<StreamableFile> {
    const file = await this.exports.exportSession(me.user_id, id, query.format);
    return new StreamableFile(Buffer.from(file.body), { type: file.contentType, disposition: `attachment; filename="${file.filename}"` });
  }

  @Get('export')
  @ApiOperation({
    summary: 'Download all my sessions as NDJSON',
    description:
      'One SessionExportDto per line, every session of mine, streamed as it is read (memory stays the same however many ' +
      'sessions there are). POST /api/import takes the file back.',
  })
  @ApiOkResponse({ description: 'NDJSON: a SessionExportDto per line', content: { 'application/x-ndjson': { schema: { type: 'string' } } } })
  exportAllSessions(@CurrentUser() me: Identity, @Res() res: Response): Promise<void> {
    return this.exports.streamAll(me.user_id, res);
  }

  @Post('import')
  @HttpCode(200)
  @RateLimit('sessions')
  @ApiBody({
    description:
      'The file itself as the request body (not a multipart form): an export of this server (JSON or NDJSON), or ChatGPT\'s or ' +
      'Claude\'s conversations.json, told apart by content.',
    required: true,
    schema: FILE,
  })
  @ApiConsumes('application/json', 'application/x-ndjson', 'application/octet-stream')
  @ApiBadRequestResponse({ type: ErrorBody, description: 'The file is malformed or truncated (the message names the first problem); nothing was imported' })
  @ApiPayloadTooLargeResponse({ type: ErrorBody, description: 'The file is larger than IMPORT_MAX_BYTES; nothing was imported' })
  @ApiUnsupportedMediaTypeResponse({ type: ErrorBody, description: 'A multipart form: send the file itself as the body' })
  @ApiOperation({
    summary: 'Import conversations: this server\'s export, ChatGPT or Claude',
    description:
      'Reads the file as it arrives (up to IMPORT_MAX_BYTES, 1 GB by default) and stores each conversation as a new session ' +
      'tagged "imported", with the persona given (or the default; an export of this server keeps its own where it exists). ' +
      'A conversation imported before (same source and content) is skipped, so importing a file twice creates nothing new. ' +
      'Each conversation is stored whole or not at all; a malformed or truncated file answers 400 and leaves nothing behind. ' +
      'The report lists every conversation: imported or skipped, and why.',
  })
  importSessions(@CurrentUser() me: Identity, @Req() req: Request, @Query() query: ImportQueryDto): Promise<ImportReportDto> {
    return this.imports.importFile(me.user_id, { stream: req, contentLength: contentLengthOf(req), contentType: req.headers['content-type'] }, query);
  }
}

function contentLengthOf(req: Request): number | undefined {
  const header = req.headers['content-length'];
  return header === undefined || !/^\d+$/.test(header) ? undefined : Number(header);
}
