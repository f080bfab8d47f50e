import { Inject, Injectable, Logger } from '@nestjs/common';
import { llmConfig, LlmConfig } from '../config/config';
import { LlmService } from '../llm/llm.service';
import type { ModelChoice } from '../llm/llm.types';
import type { StoredMessage, StoredSession } from '../sessions/session.model';
import { SessionsService } from '../sessions/sessions.service';
import { cleanTitle, titleFromMessage, titlePrompt } from './session-title';

/** A title request that takes longer than this is given up (the first words are used). */
const TITLE_TIMEOUT_MS = 20_000;
const TITLE_MAX_TOKENS = 32;

/**
 * Names a session after its first answer: a small separate request to TITLE_MODEL (default: the
 * session's own model), started once the answer is stored, so it can neither delay nor break it.
 * When the model fails, the first words of the first message are used. A session whose name was
 * chosen by the person (title_source `user`) is never renamed; the repository checks that
 * atomically, so a rename while the title is being made wins. The new name reaches open tabs as a
 * `session.updated` live event.
 */
@Injectable()
export class SessionTitlesService {
  private readonly logger = new Logger(SessionTitlesService.name);

  constructor(
    private readonly sessions: SessionsService,
    private readonly llm: LlmService,
    @Inject(llmConfig.KEY) private readonly config: LlmConfig,
  ) {}

  /** Fire and forget, after an answer was stored; does nothing unless the session still has its default name. */
  afterAnswer(userId: string, session: StoredSession, choice: ModelChoice, question: StoredMessage, answer: StoredMessage): void {
    if (session.title_source !== 'default' || answer.status !== 'complete') return;
    void this.nameSession(userId, session.id, choice, question, answer).catch((error: Error) =>
      this.logger.warn(`Session ${session.id}: no title (${error.message})`),
    );
  }

  private async nameSession(userId: string, sessionId: string, choice: ModelChoice, question: StoredMessage, answer: StoredMessage): Promise<void> {
    const title = (await this.askModel(sessionId, choice, question, answer)) ?? titleFromMessage(question.content);
    if (title) await this.sessions.applyAutoTitle(userId, sessionId, title);
  }

  private async askModel(sessionId: string, choice: ModelChoice, question: StoredMessage, answer: StoredMessage): Promise<string | null> {
    if (this.config.titleModel === null) return null;
    try {
      const model = this.config.titleModel ?? choice.model;
      const messages = titlePrompt(question.content, answer.content);
      const reply = await this.llm.completeOnce({ model, messages, max_tokens: TITLE_MAX_TOKENS, temperature: 0.2 }, TITLE_TIMEOUT_MS);
      return cleanTitle(reply);
    } catch (error) {
      this.logger.warn(`Session ${sessionId}: the title model failed (${(error as Error).message}); using the first words`);
      return null;
    }
  }
}
