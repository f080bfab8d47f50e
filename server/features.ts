import type { DynamicModule, Type } from '@nestjs/common';
import { ChatModule } from './chat/chat.module';
import { IdentityModule } from './identity/identity.module';
import { LimitsModule } from './limits/limits.module';
import { SessionsModule } from './sessions/sessions.module';

/** The product's feature modules (limits, identity, sessions, chat), mounted by AppModule. */
export const FEATURE_MODULES: Array<Type<unknown> | DynamicModule> = [LimitsModule, IdentityModule, SessionsModule, ChatModule];
