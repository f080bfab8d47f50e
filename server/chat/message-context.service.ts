import { Injectable, NotFoundException } from '@nestjs/common';
import { PersonasService } from '../personas/personas.service';
import type { StoredMessage } from '../sessions/session.model';
import { SessionsRepository } from '../sessions/sessions.repository';
import { SessionsService } from '../sessions/sessions.service';
import { belongsInContext } from './context-builder';
import { MessageContextViewDto } from './dto/message-context.dto';
import { PromptSnapshotsRepository, systemPromptId } from './prompt-snapshots.repository';

/** Message ids as the server makes them (and imported ones): anything else cannot name a message. */
const MESSAGE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const MESSAGE_NOT_FOUND = 'Message not found in this session';

/**
 * "What the model saw": an answer's context rebuilt from what the answer recorded (the oldest
 * message sent, how many, the system prompt's id). Messages never change once stored and the
 * context is always an unbroken stretch ending with the message answered, so this is exact.
 */
@Injectable()
export class MessageContextService {
  constructor(
    private readonly sessions: SessionsService,
    private readonly repository: SessionsRepository,
    private readonly personas: PersonasService,
    private readonly prompts: PromptSnapshotsRepository,
  ) {}

  async describeContext(userId: string, sessionId: string, messageId: string): Promise<MessageContextViewDto> {
    await this.sessions.getSession(userId, sessionId);
    if (!MESSAGE_ID_PATTERN.test(messageId)) throw new NotFoundException(MESSAGE_NOT_FOUND);
    const walk = this.repository.messageAndEarlier(userId, sessionId, messageId);
    const first = await walk.next();
    if (first.done) throw new NotFoundException(MESSAGE_NOT_FOUND);
    const answer = first.value;
    const context = answer.context;
    if (answer.role !== 'assistant' || !context) {
      await walk.return(undefined);
      throw new NotFoundException('Only answers have a context; this message was written by the person.');
    }
    const sent: StoredMessage[] = [];
    const firstId = context.first_message_id ?? null;
    if (context.messages > 0) {
      for await (const message of walk) {
        if (!belongsInContext(message)) continue;
        sent.push(message);
        if (firstId !== null ? message.id === firstId : sent.length === context.messages) break;
      }
    }
    sent.reverse();
    const prompt = await this.systemPrompt(answer);
    const complete = sent.length === context.messages && (firstId === null || sent[0]?.id === firstId) && context.system_prompt_id !== undefined;
    const view: MessageContextViewDto = {
      message_id: answer.id,
      messages: [{ role: 'system', content: prompt.text }, ...sent.map((m) => ({ role: m.role, content: m.content, id: m.id }))],
      tokens: context.tokens,
      exact: complete && prompt.exact,
    };
    if (answer.persona !== undefined) view.persona = answer.persona;
    if (answer.model !== undefined) view.model = answer.model;
    return view;
  }

  /** The prompt on record for the answer, else its persona's current one (exact when the text is the same). */
  private async systemPrompt(answer: StoredMessage): Promise<{ text: string; exact: boolean }> {
    const id = answer.context?.system_prompt_id;
    const saved = id === undefined ? null : await this.prompts.find(id);
    if (saved !== null) return { text: saved, exact: true };
    const persona = (answer.persona && this.personas.find(answer.persona)) || this.personas.require(this.personas.defaultKey());
    return { text: persona.system_prompt, exact: id !== undefined && systemPromptId(persona.system_prompt) === id };
  }
}
