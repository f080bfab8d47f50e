import { Injectable, NotFoundException } from '@nestjs/common';
import { newMessageId } from '../chat/message-id';
import { PersonasService } from '../personas/personas.service';
import { mapSession, SessionDto } from '../sessions/dto/session.dto';
import { SESSION_NOT_FOUND } from '../sessions/session-id';
import { activePath, ConversationTree, TreeMessage } from '../transfer/conversation-tree';
import { TransferStore } from '../transfer/transfer-store';
import { ShareCreateDto, ShareDto, SharedConversationDto, ShareListDto } from './dto/share.dto';
import { newShareId, SHARE_NOT_FOUND } from './share-id';
import { SharedMessage, SharesRepository, StoredShareSnapshot, StoredShareSummary } from './shares.repository';

/** The tag of a session made from someone's share link ("continue this conversation"). */
export const SHARED_TAG = 'shared';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Read-only share links: a snapshot of a session's active path, taken when the link is made, under
 * an unguessable id; readable by anyone with the link until revoked or expired.
 */
@Injectable()
export class SharesService {
  constructor(
    private readonly shares: SharesRepository,
    private readonly store: TransferStore,
    private readonly personas: PersonasService,
  ) {}

  async createShare(userId: string, sessionId: string, dto: ShareCreateDto, origin: string): Promise<ShareDto> {
    const found = await this.store.readSessionTree(userId, sessionId);
    if (!found) throw new NotFoundException(SESSION_NOT_FOUND);
    const now = Date.now();
    const shareId = newShareId();
    const expiresAt = dto.expires_in_seconds === undefined ? null : now + dto.expires_in_seconds * 1000;
    const messages = activePath(found.tree).filter((m) => m.role === 'user' || m.role === 'assistant').map(sharedMessage);
    const summary: StoredShareSummary = {
      share_id: shareId,
      session_id: sessionId,
      title: found.tree.title,
      created_at: now,
      expires_at: expiresAt,
      message_count: messages.length,
    };
    const persona = found.session.persona;
    const snapshot: StoredShareSnapshot = {
      share_id: shareId,
      title: found.tree.title,
      persona,
      persona_name: this.personas.find(persona)?.name ?? null,
      created_at: now,
      expires_at: expiresAt,
      messages,
    };
    await this.shares.create(userId, summary, snapshot);
    return mapShare(summary, origin);
  }

  async listShares(userId: string, origin: string): Promise<ShareListDto> {
    return { shares: (await this.shares.list(userId)).map((s) => mapShare(s, origin)) };
  }

  async revokeShare(userId: string, shareId: string): Promise<void> {
    if (!(await this.shares.revoke(userId, shareId))) throw new NotFoundException(SHARE_NOT_FOUND);
  }

  async getSharedConversation(shareId: string): Promise<SharedConversationDto> {
    const snapshot = await this.snapshot(shareId);
    return {
      share_id: snapshot.share_id,
      title: snapshot.title,
      persona: snapshot.persona,
      persona_name: snapshot.persona_name,
      created_at: iso(snapshot.created_at),
      expires_at: snapshot.expires_at === null ? null : iso(snapshot.expires_at),
      messages: snapshot.messages.map((m) => ({ ...m, created_at: iso(m.created_at) })),
    };
  }

  /** Whether the link works (the page route answers 404 once it does not). */
  async isLive(shareId: string): Promise<boolean> {
    return (await this.shares.find(shareId)) !== null;
  }

  /** "Continue this conversation": a new session of the caller holding the snapshot. */
  async continueSharedConversation(userId: string, shareId: string): Promise<SessionDto> {
    const snapshot = await this.snapshot(shareId);
    const messages: TreeMessage[] = [];
    for (const m of snapshot.messages) messages.push({ ...m, id: newMessageId(), parent_id: messages.at(-1)?.id ?? null });
    const tree: ConversationTree = {
      source: 'nono',
      source_id: null,
      title: snapshot.title,
      created_at: snapshot.created_at,
      last_activity: snapshot.created_at,
      pinned: false,
      tags: [],
      metadata: {},
      settings: null,
      messages,
      active_leaf_id: messages.at(-1)?.id ?? null,
    };
    const persona = this.personas.find(snapshot.persona)?.key ?? this.personas.defaultKey();
    const written = await this.store.writeSessionTree(userId, tree, { persona, tags: [SHARED_TAG] });
    return mapSession(written.session);
  }

  private async snapshot(shareId: string): Promise<StoredShareSnapshot> {
    const snapshot = await this.shares.find(shareId);
    if (!snapshot) throw new NotFoundException(SHARE_NOT_FOUND);
    return snapshot;
  }
}

function sharedMessage(m: TreeMessage): SharedMessage {
  const out: SharedMessage = { role: m.role as SharedMessage['role'], content: m.content, created_at: m.created_at };
  if (m.model !== undefined) out.model = m.model;
  return out;
}

function mapShare(s: StoredShareSummary, origin: string): ShareDto {
  return {
    share_id: s.share_id,
    url: `${origin}/shared/${s.share_id}`,
    session_id: s.session_id,
    title: s.title,
    message_count: s.message_count,
    created_at: iso(s.created_at),
    expires_at: s.expires_at === null ? null : iso(s.expires_at),
  };
}
