import { Module } from '@nestjs/common';
import { LlmModule } from '../llm/llm.module';
import { SessionsModule } from '../sessions/sessions.module';
import { ChatController } from './chat.controller';
import { ChatService } from './chat.service';
import { GenerationRepository } from './generation.repository';
import { GenerationsService } from './generations.service';

/** Sending, streaming, stopping and regenerating answers in a session. */
@Module({
  imports: [SessionsModule, LlmModule],
  controllers: [ChatController],
  providers: [ChatService, GenerationsService, GenerationRepository],
})
export class ChatModule {}
