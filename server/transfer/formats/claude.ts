import { ConversationTree, parentsFirst, RawNode, TreeMessage } from '../conversation-tree';
import { Checker, conversationLabel, isObject, Json, sessionTitle } from './format-checks';

/**
 * Claude's export (conversations.json: an array of conversations, each with `chat_messages`).
 * Messages name their parent in `parent_message_uuid` (edits and retries are branches; the root's
 * parent is the all-zero uuid); older exports have none, and their messages form one chain in
 * file order. The branch shown is the one ending in the last message of the file.
 */
export function isClaudeConversation(value: Json): boolean {
  return Array.isArray(value.chat_messages);
}

const ROOT_PARENT = /^0{8}-0{4}-[0-9a-f]0{3}-[0-9a-f]0{3}-0{12}$/i;

export function fromClaude(value: Json, index: number): ConversationTree {
  const check = new Checker(conversationLabel(index, value.name));
  const list = check.array(value.chat_messages, 'chat_messages');
  const created = value.created_at === undefined ? null : check.isoTime(value.created_at, 'created_at');
  const updated = value.updated_at === undefined ? null : check.isoTime(value.updated_at, 'updated_at');
  const linked = list.some((m) => isObject(m) && typeof m.parent_message_uuid === 'string');
  let previous: string | null = null;
  const raw: RawNode<TreeMessage>[] = list.map((item, i) => {
    const field = `chat_messages[${i}]`;
    const m = check.object(item, field);
    const id = check.string(m.uuid, `${field}.uuid`);
    const sender = check.string(m.sender, `${field}.sender`);
    if (sender !== 'human' && sender !== 'assistant') check.fail(`${field}.sender ${JSON.stringify(sender)} is not human or assistant`);
    const parentField = check.optionalString(m.parent_message_uuid, `${field}.parent_message_uuid`);
    const parent = linked ? (parentField === null || ROOT_PARENT.test(parentField) ? null : parentField) : previous;
    previous = id;
    const message: TreeMessage = {
      id,
      parent_id: parent,
      role: sender === 'human' ? 'user' : 'assistant',
      content: renderClaudeMessage(m),
      created_at: check.isoTime(m.created_at, `${field}.created_at`),
    };
    if (message.role === 'assistant') message.status = 'complete';
    return { id, parent_id: parent, order: i, value: message };
  });
  const messages = parentsFirst(raw, check.what).map((n) => n.value);
  const last = list.length > 0 ? (list[list.length - 1] as Json).uuid : null;
  const leaf = typeof value.current_leaf_message_uuid === 'string' && raw.some((n) => n.id === value.current_leaf_message_uuid) ? value.current_leaf_message_uuid : last;
  return {
    source: 'claude',
    source_id: typeof value.uuid === 'string' ? value.uuid : null,
    title: sessionTitle(check.optionalString(value.name, 'name'), 'Imported Claude conversation'),
    created_at: created ?? messages[0]?.created_at ?? 0,
    last_activity: updated ?? created ?? 0,
    pinned: false,
    tags: [],
    metadata: {},
    settings: null,
    messages,
    active_leaf_id: typeof leaf === 'string' ? leaf : null,
  };
}

/** The message as markdown: its content blocks (text, thinking, tool use and results), then attachments and files by name. */
function renderClaudeMessage(m: Json): string {
  const blocks = Array.isArray(m.content) && m.content.length > 0 ? m.content.map(renderBlock).filter((b) => b !== '') : [];
  const parts = blocks.length > 0 ? blocks : typeof m.text === 'string' && m.text !== '' ? [m.text] : [];
  for (const attachment of Array.isArray(m.attachments) ? m.attachments : []) {
    if (!isObject(attachment)) continue;
    const name = typeof attachment.file_name === 'string' ? attachment.file_name : 'attachment';
    const body = typeof attachment.extracted_content === 'string' ? attachment.extracted_content : '';
    parts.push(body ? `**Attachment: ${name}**\n\n\`\`\`\n${body}\n\`\`\`` : `**Attachment: ${name}**`);
  }
  for (const file of Array.isArray(m.files) ? m.files : []) {
    if (isObject(file) && typeof file.file_name === 'string') parts.push(`[file: ${file.file_name}]`);
  }
  return parts.join('\n\n');
}

function renderBlock(block: unknown): string {
  if (!isObject(block)) return '';
  switch (block.type) {
    case 'text':
      return typeof block.text === 'string' ? block.text : '';
    case 'thinking':
      return typeof block.thinking === 'string' && block.thinking !== '' ? `> *Thinking:* ${block.thinking.split('\n').join('\n> ')}` : '';
    case 'tool_use':
      return `**Tool call: ${String(block.name ?? 'tool')}**\n\n\`\`\`json\n${JSON.stringify(block.input ?? {}, null, 2)}\n\`\`\``;
    case 'tool_result': {
      const content = Array.isArray(block.content) ? block.content.map(renderBlock).filter(Boolean).join('\n\n') : typeof block.content === 'string' ? block.content : '';
      return `**Tool result${block.name ? `: ${String(block.name)}` : ''}**${block.is_error ? ' (error)' : ''}\n\n${content}`;
    }
    case 'image':
      return '[image]';
    default:
      return typeof block.text === 'string' ? block.text : `[${String(block.type ?? 'content')}]`;
  }
}
