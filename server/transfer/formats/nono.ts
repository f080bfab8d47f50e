import { ConversationTree, parentsFirst, TreeMessage, TreeRole } from '../conversation-tree';
import type { ExportedMessageDto, SessionExportDto } from '../dto/session-export.dto';
import { Checker, conversationLabel, isObject, Json, sessionTitle } from './format-checks';

/** This server's own export (SessionExportDto): written by toSessionExport, read back by fromSessionExport. */
export const EXPORT_FORMAT = 'nono-chat.session';
export const EXPORT_VERSION = 1;

export function isSessionExport(value: Json): boolean {
  return value.format === EXPORT_FORMAT;
}

const iso = (ms: number) => new Date(ms).toISOString();

export interface ExportContext {
  /** The session's id where it is exported from. */
  session_id: string;
  persona: string;
  persona_name: string | null;
  exported_at: number;
}

export function toSessionExport(tree: ConversationTree, context: ExportContext): SessionExportDto {
  return {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exported_at: iso(context.exported_at),
    session: {
      session_id: context.session_id,
      display_name: tree.title,
      persona: context.persona,
      persona_name: context.persona_name,
      created_at: iso(tree.created_at),
      last_activity: iso(tree.last_activity),
      pinned: tree.pinned,
      tags: tree.tags,
      metadata: tree.metadata,
      settings: tree.settings,
    },
    active_leaf_id: tree.active_leaf_id,
    messages: tree.messages.map(exportMessage),
  };
}

function exportMessage(m: TreeMessage): ExportedMessageDto {
  const out: ExportedMessageDto = { id: m.id, parent_id: m.parent_id, role: m.role, content: m.content, created_at: iso(m.created_at) };
  if (m.persona !== undefined) out.persona = m.persona;
  if (m.model !== undefined) out.model = m.model;
  if (m.status !== undefined) out.status = m.status;
  if (m.finish_reason !== undefined) out.finish_reason = m.finish_reason;
  if (m.usage !== undefined) out.usage = m.usage;
  if (m.error !== undefined) out.error = m.error;
  if (m.context !== undefined) out.context = m.context;
  if (m.feedback !== undefined) {
    out.feedback = m.feedback && {
      rating: m.feedback.rating,
      ...(m.feedback.comment !== undefined ? { comment: m.feedback.comment } : {}),
      ...(m.feedback.updated_at !== undefined ? { updated_at: iso(m.feedback.updated_at) } : {}),
    };
  }
  return out;
}

const ROLES: TreeRole[] = ['user', 'assistant', 'system', 'tool'];
const STATUSES = ['complete', 'interrupted', 'failed'];

export function fromSessionExport(value: Json, index: number): ConversationTree {
  const session = isObject(value.session) ? value.session : {};
  const check = new Checker(conversationLabel(index, session.display_name));
  if (value.version !== EXPORT_VERSION) check.fail(`version ${JSON.stringify(value.version)} is not one this server reads (${EXPORT_VERSION})`);
  check.object(value.session, 'session');
  const list = check.array(value.messages, 'messages');
  const tags = session.tags === undefined ? [] : check.array(session.tags, 'session.tags').map((t, i) => check.string(t, `session.tags[${i}]`));
  const messages = list.map((item, i) => importMessage(item, i, check));
  const ordered = parentsFirst(messages.map((m, i) => ({ id: m.id, parent_id: m.parent_id, order: i, value: m })), check.what).map((n) => n.value);
  const leaf = check.optionalString(value.active_leaf_id, 'active_leaf_id');
  if (leaf !== null && !messages.some((m) => m.id === leaf)) check.fail(`active_leaf_id ${JSON.stringify(leaf)} is not one of its messages`);
  return {
    source: 'nono',
    source_id: check.optionalString(session.session_id, 'session.session_id'),
    title: sessionTitle(check.optionalString(session.display_name, 'session.display_name'), 'Imported session'),
    persona: check.optionalString(session.persona, 'session.persona') ?? undefined,
    created_at: check.isoTime(session.created_at, 'session.created_at'),
    last_activity: session.last_activity === undefined ? check.isoTime(session.created_at, 'session.created_at') : check.isoTime(session.last_activity, 'session.last_activity'),
    pinned: session.pinned === true,
    tags,
    metadata: session.metadata === undefined ? {} : check.object(session.metadata, 'session.metadata'),
    settings: session.settings === undefined || session.settings === null ? null : check.object(session.settings, 'session.settings'),
    messages: ordered,
    active_leaf_id: leaf,
  };
}

function importMessage(item: unknown, i: number, check: Checker): TreeMessage {
  const field = `messages[${i}]`;
  const m = check.object(item, field);
  const role = check.string(m.role, `${field}.role`) as TreeRole;
  if (!ROLES.includes(role)) check.fail(`${field}.role ${JSON.stringify(role)} is not one of ${ROLES.join(', ')}`);
  const out: TreeMessage = {
    id: check.string(m.id, `${field}.id`),
    parent_id: check.optionalString(m.parent_id, `${field}.parent_id`),
    role,
    content: check.string(m.content, `${field}.content`),
    created_at: check.isoTime(m.created_at, `${field}.created_at`),
  };
  if (m.persona !== undefined) out.persona = check.string(m.persona, `${field}.persona`);
  if (m.model !== undefined) out.model = check.string(m.model, `${field}.model`);
  if (m.status !== undefined) {
    if (!STATUSES.includes(m.status as string)) check.fail(`${field}.status must be one of ${STATUSES.join(', ')}`);
    out.status = m.status as TreeMessage['status'];
  }
  if (m.finish_reason !== undefined) out.finish_reason = m.finish_reason === null ? null : check.string(m.finish_reason, `${field}.finish_reason`);
  if (m.usage !== undefined) out.usage = m.usage === null ? null : usage(check.object(m.usage, `${field}.usage`), `${field}.usage`, check);
  if (m.error !== undefined) out.error = m.error === null ? null : (check.object(m.error, `${field}.error`) as unknown as TreeMessage['error']);
  if (m.context !== undefined) out.context = m.context === null ? null : (check.object(m.context, `${field}.context`) as unknown as TreeMessage['context']);
  if (m.feedback !== undefined) out.feedback = m.feedback === null ? null : feedback(check.object(m.feedback, `${field}.feedback`), `${field}.feedback`, check);
  return out;
}

function feedback(f: Json, field: string, check: Checker): NonNullable<TreeMessage['feedback']> {
  if (f.rating !== 'up' && f.rating !== 'down') check.fail(`${field}.rating must be "up" or "down"`);
  const out: NonNullable<TreeMessage['feedback']> = { rating: f.rating };
  if (f.comment !== undefined) out.comment = check.string(f.comment, `${field}.comment`);
  if (f.updated_at !== undefined) out.updated_at = check.isoTime(f.updated_at, `${field}.updated_at`);
  return out;
}

function usage(u: Json, field: string, check: Checker): NonNullable<TreeMessage['usage']> {
  const n = (name: string) => {
    const v = u[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) check.fail(`${field}.${name} must be a whole number`);
    return v;
  };
  return { prompt_tokens: n('prompt_tokens'), completion_tokens: n('completion_tokens'), total_tokens: n('total_tokens') };
}
