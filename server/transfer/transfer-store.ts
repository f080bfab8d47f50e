import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { RedisKeys } from '../redis/redis-keys';
import type { Store } from '../redis/store';
import type { StoredMessage, StoredSession } from '../sessions/session.model';
import { SessionsRepository } from '../sessions/sessions.repository';
import { activePath, ConversationTree, TreeMessage } from './conversation-tree';

/** Messages appended per round trip when a session is written. */
const WRITE_BATCH = 500;

export interface WriteOptions {
  /** Persona key the new session gets. */
  persona: string;
  /** Added to the tree's own tags. */
  tags: string[];
}

export interface WrittenSession {
  session: StoredSession;
  /** Messages stored. */
  stored: number;
  /** Messages of the tree not stored (other branches; system and tool messages), with why. */
  omitted: number;
}

/**
 * The one place import, export and share links read and write sessions. Sessions keep a single
 * line of messages for now: a session reads as a tree whose messages each have the previous one as
 * parent, and a tree is written as its active path (user and assistant messages). Tags live in
 * the session's metadata (`metadata.tags`).
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
    // The whole list: the count can only be off by messages written meanwhile.
    const stored = await this.sessions.recentMessages(userId, id, session.message_count + 1_000);
    const messages: TreeMessage[] = stored.map((m, i) => ({ ...m, parent_id: i === 0 ? null : stored[i - 1].id }));
    const { tags, ...metadata } = session.metadata;
    const tree: ConversationTree = {
      source: 'nono',
      source_id: id,
      title: session.display_name,
      persona: session.persona,
      created_at: session.created_at,
      last_activity: session.last_activity,
      pinned: session.pinned,
      tags: Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [],
      metadata,
      settings: null,
      messages,
      active_leaf_id: messages.length > 0 ? messages[messages.length - 1].id : null,
    };
    return { session, tree };
  }

  /** A new session of the caller holding the tree; all or nothing (a failed write removes the session again). */
  async writeSessionTree(userId: string, tree: ConversationTree, options: WriteOptions): Promise<WrittenSession> {
    const tags = [...new Set([...tree.tags, ...options.tags])];
    const path = activePath(tree).filter((m) => m.role === 'user' || m.role === 'assistant');
    const session = await this.sessions.create(userId, {
      display_name: tree.title,
      persona: options.persona,
      metadata: { ...tree.metadata, tags },
    });
    try {
      let latest = session;
      for (let i = 0; i < path.length; i += WRITE_BATCH) {
        latest = await this.sessions.appendMessages(userId, session.id, path.slice(i, i + WRITE_BATCH).map(storedMessage));
      }
      if (tree.pinned) latest = (await this.sessions.update(userId, session.id, { pinned: true })) ?? latest;
      return { session: latest, stored: path.length, omitted: tree.messages.length - path.length };
    } catch (error) {
      await this.deleteSession(userId, session.id, session.display_name).catch(() => undefined);
      throw error;
    }
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

  /** Whether the caller still has the session (an imported one may have expired or been deleted). */
  async hasSession(userId: string, id: string): Promise<boolean> {
    return (await this.sessions.find(userId, id)) !== null;
  }
}

function storedMessage(m: TreeMessage): StoredMessage {
  const out: StoredMessage = { id: m.id || randomUUID(), role: m.role as StoredMessage['role'], content: m.content, created_at: m.created_at };
  if (m.persona !== undefined) out.persona = m.persona;
  if (m.model !== undefined) out.model = m.model;
  if (m.status !== undefined) out.status = m.status;
  if (m.finish_reason !== undefined) out.finish_reason = m.finish_reason;
  if (m.usage !== undefined) out.usage = m.usage;
  if (m.error !== undefined) out.error = m.error;
  if (m.context !== undefined) out.context = m.context;
  return out;
}
