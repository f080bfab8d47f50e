/**
 * What the store keeps for a session and its messages. Repositories read and write these; mappers
 * turn them into DTOs (never return a stored record as is).
 */
export interface StoredSession {
  id: string;
  user_id: string;
  display_name: string;
  persona: string;
  metadata: Record<string, unknown>;
  /** ms since epoch */
  created_at: number;
  /** ms since epoch */
  last_activity: number;
  message_count: number;
  pinned: boolean;
  /** Archived sessions leave the main list (GET /api/sessions?archived=true lists them) and keep everything else. */
  archived: boolean;
  /** Labels chosen by the person: trimmed, lower case, each once. */
  tags: string[];
  /** Where the name comes from: the creation default, a title made after the first answer, or the person. */
  title_source: TitleSource;
  /** ms since epoch when the session will expire; null when it never does (pinned or TTL 0). */
  expires_at: number | null;
}

export const TITLE_SOURCES = ['default', 'auto', 'user'] as const;
export type TitleSource = (typeof TITLE_SOURCES)[number];

export type MessageRole = 'user' | 'assistant';

/** complete: a normal answer; interrupted: stopped by the user or a disconnect (partial content kept); failed: the model call failed. */
export type MessageStatus = 'complete' | 'interrupted' | 'failed';

export interface MessageUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface StoredMessage {
  id: string;
  role: MessageRole;
  content: string;
  /** ms since epoch */
  created_at: number;
  /** persona key the session had when the message was written */
  persona?: string;
  /** assistant messages: the model that answered */
  model?: string;
  /** assistant messages */
  status?: MessageStatus;
  finish_reason?: string | null;
  usage?: MessageUsage | null;
  /** failed assistant turns: what went wrong, for the UI's retry */
  error?: { status: number; message: string } | null;
  /** assistant messages: what was sent to the model */
  context?: { messages: number; tokens: number } | null;
}

/**
 * The message half of the sessions repository, used by the chat module. Every write is one round
 * trip (MULTI) that also updates message_count, last_activity, the index score and the TTL.
 */
export interface MessageStore {
  /** Appends in order; returns the session's new state. Throws NotFound when the session is gone. */
  appendMessages(userId: string, sessionId: string, messages: StoredMessage[]): Promise<StoredSession>;
  /**
   * appendMessages and then recentMessages, in one round trip: the read sees the appended messages.
   */
  appendAndReadRecent(
    userId: string,
    sessionId: string,
    messages: StoredMessage[],
    limit: number,
  ): Promise<{ session: StoredSession; recent: StoredMessage[] }>;
  /** The newest `limit` messages (oldest first), for building the model's context. */
  recentMessages(userId: string, sessionId: string, limit: number): Promise<StoredMessage[]>;
  /** Removes the last message when it is an assistant message (regenerate); returns it, or null. */
  removeLastAssistantMessage(userId: string, sessionId: string): Promise<StoredMessage | null>;
}
