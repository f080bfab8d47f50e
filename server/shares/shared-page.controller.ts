import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { clientRoot } from '../app.module';
import { ENV } from '../config/config';
import type { Env } from '../config/env';
import { Public } from '../identity/public.decorator';
import { ShareIdParam } from './share-id';
import { SharesService } from './shares.service';

/**
 * The page a share link opens: the web client's index.html (the client renders the snapshot from
 * GET /api/shared/{id}), answering 404 once the link is revoked or expired.
 */
@ApiExcludeController()
@Public()
@Controller('shared')
export class SharedPageController {
  constructor(
    private readonly shares: SharesService,
    @Inject(ENV) private readonly env: Env,
  ) {}

  @Get(':share_id')
  async showSharedPage(@ShareIdParam() shareId: string, @Res() res: Response): Promise<void> {
    const status = (await this.shares.isLive(shareId)) ? 200 : 404;
    const index = join(clientRoot(this.env), 'index.html');
    if (!existsSync(index)) {
      res.status(status).type('text/plain').send(status === 200 ? 'The web client is not built; read the link at /api/shared/' + shareId : 'Share link not found');
      return;
    }
    res.status(status).setHeader('Cache-Control', 'no-store');
    res.sendFile(index);
  }
}
