import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccountService } from './account.service';
import { AuthController } from './auth.controller';
import { BearerAuthGuard } from './bearer-auth.guard';
import { IdentityController } from './identity.controller';
import { IdentityRepository } from './identity.repository';
import { IdentityService } from './identity.service';
import { TokenRepository } from './token.repository';
import { TokenService } from './token.service';
import { TokensController } from './tokens.controller';
import { OidcController } from './oidc.controller';
import { OidcRepository } from './oidc.repository';
import { OidcService } from './oidc.service';

/** Identities (guests, accounts, proxied users), their tokens, and the global guard that requires one. */
@Module({
  controllers: [IdentityController, AuthController, TokensController, OidcController],
  providers: [
    IdentityRepository,
    TokenRepository,
    TokenService,
    IdentityService,
    AccountService,
    OidcRepository,
    OidcService,
    { provide: APP_GUARD, useClass: BearerAuthGuard },
  ],
  exports: [IdentityService],
})
export class IdentityModule {}
