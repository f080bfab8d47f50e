import { Inject, Injectable } from '@nestjs/common';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { RedisKeys } from '../redis/redis-keys';
import { repliesOf, Store, StoreReplies, StoreTransaction } from '../redis/store';
import { newMessageId } from '../chat/message-id';
import type { SessionSettings } from '../personas/persona-overrides';
import type { StoredMessage, StoredSession } from '../sessions/session.model';
import { MAX_TAGS } from '../sessions/session-validation';
import { SessionsRepository } from '../sessions/sessions.repository';
import { activePath, ConversationTree, TreeMessage } from './conversation-tree';

export interface WriteOptions {
  /** Persona key the new session gets. */
  persona: string;
  /** Added to the tree's own tags. */
  tags: string[];
}

export interface TreeToWrite {
  tree: ConversationTree;
  options: WriteOptions;
  /** Queues more writes into the session's MULTI (stored with it or not at all), given its new id. */
  alsoWrite?: (tx: StoreTransaction, sessionId: string) => void;
}

export interface WrittenSession {
  session: StoredSession;
  /** Messages stored. */
  stored: number;
  /** Messages of the tree not stored (other branches; system and tool messages), with why. */
  omitted: number;
}

/** Message ids the API's message routes accept; others (from other products' exports) are replaced. */
const USABLE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The one place import, export and share links read and write sessions: a session reads as its
 * whole conversation tree (every branch, each message with its parent, the active leaf), and a tree
 * is written in one MULTI as a new session (SessionsRepository.queueImportTree), many trees per round trip. Sessions hold the
 * person's and the model's messages; system and tool messages of imported conversations are left
 * out (their children move up to their parent) and counted as omitted.
 */
@Injectable()
export class TransferStore {
  constructor(
    private readonly sessions: SessionsRepository,
    @Inject(REDIS_CLIENT) private readonly redis: Store,
    private readonly keys: RedisKeys,
  ) {}

  /** The session and its messages as a tree, or null when it is not the caller's. */
  async readSessionTree(userId: string, id: string): Promise<{ session: StoredSession; tree: ConversationTree } | null> {
    const session = await this.sessions.find(userId, id);
    if (!session) return null;
    const stored = await this.sessions.allMessages(userId, id);
    if (!stored) return null;
    const messages: TreeMessage[] = stored.map(treeMessage);
    const tree: ConversationTree = {
      source: 'nono',
      source_id: id,
      title: session.display_name,
      persona: session.persona,
      created_at: session.created_at,
      last_activity: session.last_activity,
      pinned: session.pinned,
      tags: session.tags,
      metadata: session.metadata,
      settings: Object.keys(session.settings).length > 0 ? { ...session.settings } : null,
      messages,
      active_leaf_id: session.active_leaf_id ?? (messages.length > 0 ? messages[messages.length - 1].id : null),
    };
    return { session, tree };
  }

  /** A new session of the caller holding the tree; all or nothing (one MULTI). */
  async writeSessionTree(userId: string, tree: ConversationTree, options: WriteOptions): Promise<WrittenSession> {
    const [outcome] = await this.writeSessionTrees(userId, [{ tree, options }]);
    if ('error' in outcome) throw outcome.error;
    return outcome;
  }

  /**
   * New sessions of the caller, one per tree, each in its own MULTI (with what `alsoWrite` queues
   * there): a session is stored whole or not at all. The MULTIs are sent together without waiting
   * for each other's replies, so a batch costs about one round trip however many trees it holds.
   * Each tree's outcome, in order: the session written, or why not (a MULTI that failed part-way
   * is removed again, so nothing of it stays).
   */
  async writeSessionTrees(userId: string, items: TreeToWrite[]): Promise<Array<WrittenSession | { error: Error }>> {
    const sent = items.map(({ tree, options, alsoWrite }): { written: WrittenSession; replies: Promise<StoreReplies> } | { error: Error } => {
      try {
        const tags = [...new Set([...tree.tags, ...options.tags])].slice(0, MAX_TAGS);
        const { messages, leaf } = sessionMessages(tree);
        const tx = this.redis.multi();
        const input = { display_name: tree.title, persona: options.persona, metadata: tree.metadata, settings: importedSettings(tree.settings), tags, pinned: tree.pinned };
        const session = this.sessions.queueImportTree(tx, userId, input, messages, leaf);
        alsoWrite?.(tx, session.id);
        const written: WrittenSession = { session, stored: messages.length, omitted: tree.messages.length - messages.length };
        return { written, replies: tx.exec() };
      } catch (error) {
        return { error: error as Error }; // refused before anything was sent
      }
    });
    return Promise.all(
      sent.map(async (item) => {
        if ('error' in item) return item;

        const { written, replies } = item;
        try {
          repliesOf(await replies);
          return written;
        } catch (error) {
          // A command that failed inside EXEC does not undo the others: remove what did get stored.
          await this.deleteSession(userId, written.session.id, written.session.display_name).catch(() => undefined);
          return { error: error as Error };
        }
      }),
    );
  }

  /**
   * Removes a session this import or copy made, with the name lookup entry its creation added (a
   * deleted session's name otherwise stays behind, pointing nowhere).
   */
  async deleteSession(userId: string, id: string, name: string): Promise<void> {
    await this.sessions.delete(userId, id);
    const names = this.keys.sessionNames(userId);
    if ((await this.redis.hget(names, name)) === id) await this.redis.hdel(names, name);
  }

  /** For each id, whether the caller still has the session (an imported one may have expired or been deleted). One round trip. */
  sessionsExist(userId: string, ids: string[]): Promise<boolean[]> {
    return this.sessions.existing(userId, ids);
  }
}

/**
 * The tree's user and assistant messages, parents first, each under its nearest kept ancestor;
 * ids the message routes could not address are replaced (consistently, parents included).
 */
function sessionMessages(tree: ConversationTree): { messages: StoredMessage[]; leaf: string | null } {
  const keptParent = new Map<string, string | null>();
  const ids = new Map<string, string>();
  const messages: StoredMessage[] = [];
  for (const m of tree.messages) {
    const parent = m.parent_id === null ? null : (keptParent.get(m.parent_id) ?? null);
    if (m.role !== 'user' && m.role !== 'assistant') {
      keptParent.set(m.id, parent);
      continue;
    }
    const id = USABLE_ID.test(m.id) && !ids.has(m.id) ? m.id : newMessageId();
    ids.set(m.id, id);
    keptParent.set(m.id, id);
    messages.push(storedMessage(m, id, parent));
  }
  const leaf = tree.active_leaf_id === null ? null : (keptParent.get(tree.active_leaf_id) ?? null);
  return { messages, leaf };
}

function storedMessage(m: TreeMessage, id: string, parentId: string | null): StoredMessage {
  const out: StoredMessage = { id, parent_id: parentId, role: m.role as StoredMessage['role'], content: m.content, created_at: m.created_at };
  if (m.persona !== undefined) out.persona = m.persona;
  if (m.model !== undefined) out.model = m.model;
  if (m.status !== undefined) out.status = m.status;
  if (m.finish_reason !== undefined) out.finish_reason = m.finish_reason;
  if (m.usage !== undefined) out.usage = m.usage;
  if (m.error !== undefined) out.error = m.error;
  if (m.context !== undefined) out.context = m.context;
  if (m.feedback) out.feedback = { rating: m.feedback.rating, ...(m.feedback.comment !== undefined ? { comment: m.feedback.comment } : {}), updated_at: m.feedback.updated_at ?? m.created_at };
  return out;
}

function treeMessage(m: StoredMessage): TreeMessage {
  const out: TreeMessage = { id: m.id, parent_id: m.parent_id ?? null, role: m.role, content: m.content, created_at: m.created_at };
  if (m.persona !== undefined) out.persona = m.persona;
  if (m.model !== undefined) out.model = m.model;
  if (m.status !== undefined) out.status = m.status;
  if (m.finish_reason !== undefined) out.finish_reason = m.finish_reason;
  if (m.usage !== undefined) out.usage = m.usage;
  if (m.error !== undefined) out.error = m.error;
  if (m.context !== undefined) out.context = m.context;
  if (m.feedback !== undefined) out.feedback = m.feedback;
  return out;
}

/** Settings of an export, kept only where they have the shape of session overrides (checked again when used). */
function importedSettings(settings: Record<string, unknown> | null): SessionSettings {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(settings ?? {})) {
    if ((name === 'model' && typeof value === 'string') || (name !== 'model' && typeof value === 'number' && Number.isFinite(value))) out[name] = value;
  }
  return out as SessionSettings;
}
