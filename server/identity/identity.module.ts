import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { BearerAuthGuard } from './bearer-auth.guard';
import { IdentityController } from './identity.controller';
import { IdentityRepository } from './identity.repository';
import { IdentityService } from './identity.service';

/** Anonymous identities, bearer tokens, and the global guard that requires one on every route. */
@Module({
  controllers: [IdentityController],
  providers: [IdentityRepository, IdentityService, { provide: APP_GUARD, useClass: BearerAuthGuard }],
  exports: [IdentityService],
})
export class IdentityModule {}
