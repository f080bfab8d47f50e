import type { DynamicModule, Type } from '@nestjs/common';
import { ChatModule } from './chat/chat.module';
import { EventsModule } from './events/events.module';
import { IdentityModule } from './identity/identity.module';
import { LimitsModule } from './limits/limits.module';
import { SearchModule } from './search/search.module';
import { SessionsModule } from './sessions/sessions.module';
import { SharesModule } from './shares/shares.module';
import { TransferModule } from './transfer/transfer.module';

/** The product's feature modules (limits, live events, identity, sessions, chat, export/import, share links), mounted by AppModule. */
export const FEATURE_MODULES: Array<Type<unknown> | DynamicModule> = [
  LimitsModule,
  EventsModule,
  IdentityModule,
  SessionsModule,
  ChatModule,
  TransferModule,
  SharesModule,
  SearchModule,
];
