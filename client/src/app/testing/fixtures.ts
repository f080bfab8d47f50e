import { Message, Session } from '../core/api-types';

let counter = 0;

export function aSession(overrides: Partial<Session> = {}): Session {
  counter += 1;
  const now = new Date().toISOString();
  const name = overrides.display_name ?? `Session ${counter}`;
  return {
    session_id: `s_test${counter}`,
    display_name: name,
    user_id: name,
    persona: 'default',
    created_at: now,
    last_activity: now,
    message_count: 0,
    pinned: false,
    expires_at: new Date(Date.now() + 3600_000).toISOString(),
    metadata: {},
    settings: {},
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, answers: 0 },
    tags: [],
    archived: false,
    title_source: 'user',
    ...overrides,
  };
}

export function aMessage(overrides: Partial<Message> = {}): Message {
  counter += 1;
  return { id: `m_${counter}`, role: 'user', content: `message ${counter}`, created_at: new Date().toISOString(), parent_id: null, ...overrides };
}
