import { Module } from '@nestjs/common';
import { LlmModule } from '../llm/llm.module';
import { SessionsModule } from '../sessions/sessions.module';
import { ChatController } from './chat.controller';
import { ChatService } from './chat.service';
import { ConversationController } from './conversation.controller';
import { ConversationService } from './conversation.service';
import { GenerationRepository } from './generation.repository';
import { GenerationsService } from './generations.service';
import { GenerationFollower } from './generation-follower';
import { GenerationLogRepository } from './generation-log.repository';
import { GenerationStreamer } from './generation-streamer';
import { SessionTitlesService } from './session-titles.service';
import { IdempotencyRepository } from './idempotency.repository';
import { IdempotentSendsService } from './idempotent-sends.service';
import { MessageContextService } from './message-context.service';
import { PromptSnapshotsRepository } from './prompt-snapshots.repository';

/** Sending, streaming, stopping and regenerating answers in a session; versions, forks and feedback. */
@Module({
  imports: [SessionsModule, LlmModule],
  controllers: [ChatController, ConversationController],
  providers: [
    ChatService,
    ConversationService,
    GenerationsService,
    GenerationRepository,
    GenerationLogRepository,
    GenerationFollower,
    GenerationStreamer,
    SessionTitlesService,
    IdempotencyRepository,
    IdempotentSendsService,
    MessageContextService,
    PromptSnapshotsRepository,
  ],
  exports: [GenerationsService],
})
export class ChatModule {}
