import { ConversationTree, nearestKept, parentsFirst, RawNode, TreeMessage, TreeRole, withoutNodes } from '../conversation-tree';
import { Checker, conversationLabel, isObject, Json, sessionTitle } from './format-checks';

/**
 * ChatGPT's export (conversations.json: an array of conversations). Each conversation keeps its
 * messages in `mapping` (node id → {message, parent, children}), a tree whose `current_node` is the
 * leaf of the branch shown. The tree is kept: every message keeps its parent; only nodes without a
 * message (the root) and messages hidden from the conversation (empty system prompts) are left
 * out, their children joining the nearest kept ancestor.
 */
export function isChatGptConversation(value: Json): boolean {
  return isObject(value.mapping);
}

const ROLES: Record<string, TreeRole> = { user: 'user', assistant: 'assistant', system: 'system', tool: 'tool' };

interface Node {
  message: Json | null;
  created: number | null;
}

export function fromChatGpt(value: Json, index: number): ConversationTree {
  const check = new Checker(conversationLabel(index, value.title));
  const mapping = check.object(value.mapping, 'mapping');
  const created = check.epochSeconds(value.create_time, 'create_time');
  const updated = check.epochSeconds(value.update_time, 'update_time');
  // Sibling order: the parent's `children` list (ChatGPT lists branches oldest first).
  const position = new Map<string, number>();
  for (const node of Object.values(mapping)) {
    if (isObject(node) && Array.isArray(node.children)) node.children.forEach((child, i) => typeof child === 'string' && position.set(child, i));
  }
  const raw: RawNode<Node>[] = Object.entries(mapping).map(([id, node], i) => {
    const n = check.object(node, `mapping[${JSON.stringify(id)}]`);
    const parent = check.optionalString(n.parent, `mapping[${JSON.stringify(id)}].parent`);
    const message = n.message === null || n.message === undefined ? null : check.object(n.message, `mapping[${JSON.stringify(id)}].message`);
    const at = message ? check.epochSeconds(message.create_time, `mapping[${JSON.stringify(id)}].message.create_time`) : null;
    return { id, parent_id: parent, order: position.get(id) ?? 1e9 + i, value: { message, created: at } };
  });
  const ordered = parentsFirst(raw, check.what);
  const kept = withoutNodes(ordered, (node) => visible(node.value.message, check, node.id));
  const fallbackTime = created ?? 0;
  const messages: TreeMessage[] = kept.map((node) => toMessage(node, check, fallbackTime));
  const all = new Map(raw.map((n) => [n.id, n]));
  const currentNode = check.optionalString(value.current_node, 'current_node');
  const leaf = nearestKept(currentNode, all, new Set(kept.map((n) => n.id)));
  const id = typeof value.conversation_id === 'string' ? value.conversation_id : typeof value.id === 'string' ? value.id : null;
  return {
    source: 'chatgpt',
    source_id: id,
    title: sessionTitle(check.optionalString(value.title, 'title'), 'Imported ChatGPT conversation'),
    created_at: created ?? messages[0]?.created_at ?? 0,
    last_activity: updated ?? created ?? messages[messages.length - 1]?.created_at ?? 0,
    pinned: false,
    tags: [],
    metadata: typeof value.default_model_slug === 'string' ? { imported_model: value.default_model_slug } : {},
    settings: null,
    messages,
    active_leaf_id: leaf ?? messages[messages.length - 1]?.id ?? null,
  };
}

function visible(message: Json | null, check: Checker, id: string): boolean {
  if (!message) return false;
  const author = check.object(message.author, `mapping[${JSON.stringify(id)}].message.author`);
  const role = check.string(author.role, `mapping[${JSON.stringify(id)}].message.author.role`);
  if (!(role in ROLES)) check.fail(`mapping[${JSON.stringify(id)}].message.author.role ${JSON.stringify(role)} is not user, assistant, system or tool`);
  const meta = isObject(message.metadata) ? message.metadata : {};
  if (meta.is_visually_hidden_from_conversation === true) return false;
  return !(role === 'system' && renderContent(message.content).trim() === '');
}

function toMessage(node: RawNode<Node>, check: Checker, fallbackTime: number): TreeMessage {
  const message = node.value.message!;
  const role = ROLES[(message.author as Json).role as string];
  const meta = isObject(message.metadata) ? message.metadata : {};
  if (message.content !== undefined && !isObject(message.content)) check.fail(`mapping[${JSON.stringify(node.id)}].message.content must be an object`);
  const out: TreeMessage = {
    id: node.id,
    parent_id: node.parent_id,
    role,
    content: renderContent(message.content),
    created_at: node.value.created ?? fallbackTime,
  };
  if (role === 'assistant') {
    if (typeof meta.model_slug === 'string') out.model = meta.model_slug;
    out.status = message.status === 'in_progress' ? 'interrupted' : 'complete';
    const finish = isObject(meta.finish_details) && typeof meta.finish_details.type === 'string' ? meta.finish_details.type : null;
    if (finish !== null) out.finish_reason = finish;
  }
  return out;
}

/** A message's content as markdown: text parts as they are, code fenced, images and files named. */
export function renderContent(content: unknown): string {
  if (!isObject(content)) return '';
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  switch (content.content_type) {
    case 'text':
    case 'multimodal_text':
      return (Array.isArray(content.parts) ? content.parts : []).map(renderPart).filter((p) => p !== '').join('\n\n');
    case 'code':
      return fence(text(content.text), text(content.language) === 'unknown' ? '' : text(content.language));
    case 'execution_output':
      return fence(text(content.text), 'output');
    case 'tether_quote':
      return [quote(text(content.text)), content.url ? `— [${text(content.title) || text(content.url)}](${text(content.url)})` : ''].filter(Boolean).join('\n\n');
    case 'tether_browsing_display':
      return text(content.result) || text(content.summary);
    case 'user_editable_context':
      return [text(content.user_profile), text(content.user_instructions)].filter(Boolean).join('\n\n');
    case 'thoughts':
      return (Array.isArray(content.thoughts) ? content.thoughts : []).map((t) => (isObject(t) ? text(t.content) : '')).filter(Boolean).join('\n\n');
    case 'reasoning_recap':
      return text(content.content);
    default:
      if (typeof content.text === 'string') return content.text;
      if (Array.isArray(content.parts)) return content.parts.map(renderPart).filter((p) => p !== '').join('\n\n');
      return `[${text(content.content_type) || 'content'}]`;
  }
}

function renderPart(part: unknown): string {
  if (typeof part === 'string') return part;
  if (!isObject(part)) return '';
  const type = typeof part.content_type === 'string' ? part.content_type : 'part';
  if (type === 'image_asset_pointer') return `![image](${String(part.asset_pointer ?? '')})`;
  if (type === 'audio_transcription' && typeof part.text === 'string') return part.text;
  if (typeof part.text === 'string') return part.text;
  return `[${type}]`;
}

function fence(code: string, language: string): string {
  const ticks = code.includes('```') ? '````' : '```';
  return `${ticks}${language}\n${code}\n${ticks}`;
}

function quote(text: string): string {
  return text.split('\n').map((line) => `> ${line}`).join('\n');
}
