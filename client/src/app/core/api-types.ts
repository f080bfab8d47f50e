/**
 * The API's shapes as the client uses them. They mirror the server's DTOs (snake_case, ISO times);
 * where the generated models exist they are re-exported here so components import from one place.
 */
export type { PersonaDto as Persona } from '../api/models/persona-dto';

export interface Identity {
  user_id: string;
  token: string;
}

export interface Session {
  session_id: string;
  display_name: string;
  persona: string;
  created_at: string;
  last_activity: string;
  message_count: number;
  pinned: boolean;
  expires_at: string | null;
  metadata?: Record<string, unknown>;
}

export interface SessionPage {
  sessions: Session[];
  count: number;
  next_cursor: string | null;
}

export interface NewSession {
  display_name?: string;
  persona: string;
}

export interface SessionUpdate {
  display_name?: string;
  persona?: string;
  pinned?: boolean;
}

export type MessageStatus = 'complete' | 'interrupted' | 'failed';

export interface Message {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  created_at: string;
  persona?: string;
  model?: string;
  status?: MessageStatus;
  finish_reason?: string | null;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
  context?: { messages: number; tokens: number } | null;
  error?: { status: number; message: string } | null;
}

export interface MessagePage {
  messages: Message[];
  next_cursor: string | null;
  total: number;
}

/** The error body every failing route answers with. */
export interface ApiErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: unknown;
  message_id?: string;
}
