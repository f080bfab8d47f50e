import type { SessionSettings } from '../personas/persona-overrides';

/** Running totals of a session's answers (never decreased: clearing or regenerating keeps them). */
export interface SessionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  answers: number;
}

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
  /** Last message of the active path (null: no messages); undefined for a session stored before the tree. */
  active_leaf_id?: string | null;
  /** Overrides of the persona's model parameters. */
  settings: SessionSettings;
  usage: SessionUsage;
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
  context?: MessageContext | null;
  /** The message this one follows (null: a first message). Absent only in entries stored before the tree. */
  parent_id?: string | null;
  /** Position among the children of the same parent (0 = oldest), and how many there are. Set on the active path. */
  sibling_index?: number;
  sibling_count?: number;
  /** The person's rating of the message. */
  feedback?: MessageFeedback | null;
  /**
   * Position on every path that contains the message (1 = a first message): its index in the
   * session's message list whenever it is on the active path. Kept by the store, never in the API.
   */
  depth?: number;
}

export interface MessageFeedback {
  rating: 'up' | 'down';
  comment?: string;
  /** ms since epoch */
  updated_at: number;
}

/** Where a new message goes: its parent, the parent's depth, and the children the parent already has. */
export interface AppendPoint {
  parent_id: string | null;
  depth: number;
  siblings: string[];
}

export interface MessageContext {
  /** History messages sent (without the system prompt). */
  messages: number;
  tokens: number;
  /** The oldest history message sent; every message from it to the one answered was sent (failed and empty answers left out). */
  first_message_id?: string | null;
  /** Id of the system prompt text sent (see prompt snapshots). */
  system_prompt_id?: string;
}

/**
 * The message half of the sessions repository, used by the chat module. Every append is one round
 * trip (MULTI) that also updates message_count, last_activity, the index score and the TTL.
 * Messages carry parent_id and depth (see AppendPoint); `siblings` are the existing children of the
 * first message's parent (none when appending below the active leaf).
 */
export interface MessageStore {
  /** Appends in order, each the child of the one before; returns the session's new state. Throws NotFound when the session is gone. */
  appendMessages(userId: string, sessionId: string, messages: StoredMessage[], siblings?: string[]): Promise<StoredSession>;
  /** appendMessages and then recentMessages, in one round trip: the read sees the appended messages. */
  appendAndReadRecent(
    userId: string,
    sessionId: string,
    messages: StoredMessage[],
    limit: number,
    siblings?: string[],
  ): Promise<{ session: StoredSession; recent: StoredMessage[] }>;
  /** The newest `limit` messages of the active path (oldest first), for building the model's context. */
  recentMessages(userId: string, sessionId: string, limit: number): Promise<StoredMessage[]>;
}
