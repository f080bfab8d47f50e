/**
 * The neutral, in-memory shape every import parser produces and every export writer reads: one
 * conversation as a tree of messages (each with its parent), parents always before their children.
 * Pure data and pure functions; storage lives in transfer-store.ts.
 */

export type TreeRole = 'user' | 'assistant' | 'system' | 'tool';

export interface TreeUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface TreeMessage {
  id: string;
  /** null for a root message. */
  parent_id: string | null;
  role: TreeRole;
  /** Text (markdown); non-text parts of imported messages are rendered into it. */
  content: string;
  /** ms since epoch */
  created_at: number;
  persona?: string;
  model?: string;
  status?: 'complete' | 'interrupted' | 'failed';
  finish_reason?: string | null;
  usage?: TreeUsage | null;
  error?: { status: number; message: string } | null;
  context?: { messages: number; tokens: number; first_message_id?: string | null; system_prompt_id?: string } | null;
  /** A reader's rating of a message (updated_at: ms since epoch). */
  feedback?: { rating: 'up' | 'down'; comment?: string; updated_at?: number } | null;
}

/** Where a conversation came from; 'nono' is this server's own export. */
export type TreeSource = 'nono' | 'chatgpt' | 'claude';

export interface ConversationTree {
  source: TreeSource;
  /** The id the conversation had where it came from (session id, ChatGPT or Claude conversation id). */
  source_id: string | null;
  title: string;
  persona?: string;
  /** ms since epoch */
  created_at: number;
  /** ms since epoch */
  last_activity: number;
  pinned: boolean;
  tags: string[];
  metadata: Record<string, unknown>;
  /** Per-session model settings, when the source had any. */
  settings: Record<string, unknown> | null;
  /** Parents before children; siblings oldest first. */
  messages: TreeMessage[];
  /** The leaf of the branch shown (ChatGPT's current_node); null when there are no messages. */
  active_leaf_id: string | null;
}

/** A file (or one conversation in it) that cannot be imported; the message names the first problem. */
export class ImportFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportFormatError';
  }
}

/**
 * The messages from the root to `leafId` (the branch a reader sees), oldest first. Without a leaf
 * (or an unknown one): the branch that follows the newest child from the first root.
 */
export function activePath(tree: Pick<ConversationTree, 'messages' | 'active_leaf_id'>): TreeMessage[] {
  const byId = new Map(tree.messages.map((m) => [m.id, m]));
  let leaf = tree.active_leaf_id === null ? undefined : byId.get(tree.active_leaf_id);
  if (!leaf) leaf = newestLeaf(tree.messages);
  const path: TreeMessage[] = [];
  for (let node = leaf; node; node = node.parent_id === null ? undefined : byId.get(node.parent_id)) {
    path.push(node);
    if (path.length > tree.messages.length) break; // a cycle; validated trees have none
  }
  return path.reverse();
}

/** Follows the last (newest) child from the first root. */
function newestLeaf(messages: TreeMessage[]): TreeMessage | undefined {
  if (messages.length === 0) return undefined;
  const lastChild = new Map<string, TreeMessage>();
  for (const m of messages) if (m.parent_id !== null) lastChild.set(m.parent_id, m);
  let node: TreeMessage | undefined = messages.find((m) => m.parent_id === null) ?? messages[0];
  for (let steps = 0; node && lastChild.has(node.id) && steps <= messages.length; steps++) node = lastChild.get(node.id);
  return node;
}

export interface RawNode<T> {
  id: string;
  parent_id: string | null;
  /** Position among siblings: ordered by it, then by input order. */
  order: number;
  value: T;
}

/**
 * Orders nodes parents first (depth first, siblings by `order`), refusing unknown parents, cycles
 * and duplicate ids with a message naming the node. `what` names the conversation in messages.
 */
export function parentsFirst<T>(nodes: RawNode<T>[], what: string): RawNode<T>[] {
  const byId = new Map<string, RawNode<T>>();
  for (const node of nodes) {
    if (byId.has(node.id)) throw new ImportFormatError(`${what}: message id ${JSON.stringify(node.id)} appears twice`);
    byId.set(node.id, node);
  }
  const children = new Map<string | null, RawNode<T>[]>();
  for (const node of nodes) {
    if (node.parent_id !== null && !byId.has(node.parent_id)) {
      throw new ImportFormatError(`${what}: message ${JSON.stringify(node.id)} has parent ${JSON.stringify(node.parent_id)}, which is not in the conversation`);
    }
    const list = children.get(node.parent_id) ?? [];
    list.push(node);
    children.set(node.parent_id, list);
  }
  for (const list of children.values()) list.sort((a, b) => a.order - b.order);
  const out: RawNode<T>[] = [];
  const stack = [...(children.get(null) ?? [])].reverse();
  while (stack.length > 0) {
    const node = stack.pop()!;
    out.push(node);
    const kids = children.get(node.id);
    if (kids) for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
  }
  if (out.length !== nodes.length) {
    const reached = new Set(out.map((n) => n.id));
    const stray = nodes.find((n) => !reached.has(n.id))!;
    throw new ImportFormatError(`${what}: message ${JSON.stringify(stray.id)} is part of a parent cycle (it never leads back to a root)`);
  }
  return out;
}

/**
 * Drops the nodes `keep` refuses, giving their children the nearest kept ancestor as parent
 * (ChatGPT's empty root and hidden system nodes). Input must be parents first; so is the output.
 */
export function withoutNodes<T>(ordered: RawNode<T>[], keep: (node: RawNode<T>) => boolean): RawNode<T>[] {
  const replacement = new Map<string, string | null>();
  const out: RawNode<T>[] = [];
  for (const node of ordered) {
    const parent = node.parent_id === null ? null : replacement.has(node.parent_id) ? replacement.get(node.parent_id)! : node.parent_id;
    if (keep(node)) out.push({ ...node, parent_id: parent });
    else replacement.set(node.id, parent);
  }
  return out;
}

/** The id itself when kept, else its nearest kept ancestor (for an active leaf that was dropped). */
export function nearestKept(id: string | null, all: Map<string, { parent_id: string | null }>, kept: Set<string>): string | null {
  let current = id;
  for (let steps = 0; current !== null && steps <= all.size; steps++) {
    if (kept.has(current)) return current;
    current = all.get(current)?.parent_id ?? null;
  }
  return null;
}
