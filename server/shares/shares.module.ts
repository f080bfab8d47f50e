import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { TransferModule } from '../transfer/transfer.module';
import { SharedController } from './shared.controller';
import { SharedPageController } from './shared-page.controller';
import { SharesController } from './shares.controller';
import { SharesRepository } from './shares.repository';
import { SharesService } from './shares.service';

/** Shared pages stay out of search engines and caches (revoking must take effect at once), errors included. */
function noIndex(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('X-Robots-Tag', 'noindex, nofollow');
  res.setHeader('Cache-Control', 'no-store');
  next();
}

/** Read-only share links of sessions, their public page and "continue this conversation". */
@Module({
  imports: [TransferModule],
  controllers: [SharesController, SharedController, SharedPageController],
  providers: [SharesRepository, SharesService],
})
export class SharesModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(noIndex).forRoutes('api/shared/*path', 'shared/*path');
  }
}
