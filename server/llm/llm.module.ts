import { Module } from '@nestjs/common';
import { LlmService } from './llm.service';

/** The model client: OpenAI SDK against OPENAI_BASE_URL, per-persona model and parameters, timeouts. */
@Module({
  providers: [LlmService],
  exports: [LlmService],
})
export class LlmModule {}
