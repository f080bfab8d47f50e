import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ErrorBody } from '../common/error-body';
import { CurrentUser } from './current-user.decorator';
import { ApiTokenCreatedDto, ApiTokenCreateDto, ApiTokenListDto, mapApiToken, mapApiTokenCreated } from './dto/token.dto';
import { TOKEN_ID_PATTERN } from './identity.ids';
import type { Identity } from './identity.types';
import { TokenService } from './token.service';

const TOKEN_NOT_FOUND = 'API token not found';

@ApiTags('tokens')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorBody, description: 'Missing or invalid bearer token' })
@Controller('api/tokens')
export class TokensController {
  constructor(private readonly tokens: TokenService) {}

  @Post()
  @HttpCode(201)
  @ApiBadRequestResponse({ type: ErrorBody, description: 'Invalid name or expires_in_days' })
  @ApiOperation({
    summary: 'Create a personal API token',
    description: 'For scripts and generated clients. The token is in this response only; it works until revoked, or for expires_in_days.',
  })
  async createApiToken(@CurrentUser() me: Identity, @Body() dto: ApiTokenCreateDto): Promise<ApiTokenCreatedDto> {
    const { record, token } = await this.tokens.issueApi(me.user_id, dto.name, dto.expires_in_days);
    return mapApiTokenCreated(record, token);
  }

  @Get()
  @ApiOperation({ summary: 'List my personal API tokens', description: 'Newest first, with when each was last used; never the secrets.' })
  async listApiTokens(@CurrentUser() me: Identity): Promise<ApiTokenListDto> {
    return { tokens: (await this.tokens.listApiTokens(me.user_id)).map(mapApiToken) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiParam({ name: 'id', description: 'Token id from the list', example: 't_AAAAAAAAAAAAAAAA' })
  @ApiNotFoundResponse({ type: ErrorBody, description: 'No such API token among mine (also for other people\'s tokens)' })
  @ApiOperation({ summary: 'Revoke a personal API token', description: 'It stops working at once here and within a second on every instance.' })
  async revokeApiToken(@CurrentUser() me: Identity, @Param('id') id: string): Promise<void> {
    if (!TOKEN_ID_PATTERN.test(id) || !(await this.tokens.revokeApiToken(me.user_id, id))) throw new NotFoundException(TOKEN_NOT_FOUND);
  }
}
