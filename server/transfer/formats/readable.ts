import { activePath, ConversationTree, TreeMessage } from '../conversation-tree';

/** Markdown and CSV renderings of a session for people (the JSON export is the lossless one). */

const ROLE_NAMES: Record<TreeMessage['role'], string> = { user: 'You', assistant: 'Assistant', system: 'System', tool: 'Tool' };

function utc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The active path as a document: title, persona by name, then each message under its author and time. */
export function toMarkdown(tree: ConversationTree, persona: { key: string; name: string | null }, exportedAt: number): string {
  const lines = [
    `# ${tree.title}`,
    '',
    `- Persona: ${persona.name ? `${persona.name} (\`${persona.key}\`)` : `\`${persona.key}\``}`,
    `- Created: ${utc(tree.created_at)}`,
    `- Exported: ${utc(exportedAt)}`,
  ];
  if (tree.tags.length > 0) lines.push(`- Tags: ${tree.tags.join(', ')}`);
  for (const m of activePath(tree)) {
    const who = m.role === 'assistant' && persona.name ? persona.name : ROLE_NAMES[m.role];
    const notes = [m.model, m.status && m.status !== 'complete' ? m.status : undefined].filter(Boolean).join(', ');
    lines.push('', '---', '', `### ${who} · ${utc(m.created_at)}${notes ? ` (${notes})` : ''}`, '', m.content === '' ? '*(empty)*' : m.content);
  }
  return `${lines.join('\n')}\n`;
}

export const CSV_COLUMNS = [
  'session_id', 'message_id', 'parent_id', 'role', 'created_at', 'persona', 'model', 'status',
  'prompt_tokens', 'completion_tokens', 'total_tokens', 'content',
] as const;

/**
 * One row per message of the tree (parents first), RFC 4180: CRLF line ends, fields with a comma,
 * quote or line break quoted, quotes doubled. Text cells that a spreadsheet would run as a formula
 * (starting with = + - @ tab or CR) get a leading apostrophe.
 */
export function toCsv(tree: ConversationTree, sessionId: string): string {
  const rows = [CSV_COLUMNS.join(',')];
  for (const m of tree.messages) {
    const cells = [
      sessionId, m.id, m.parent_id ?? '', m.role, new Date(m.created_at).toISOString(), m.persona ?? '', m.model ?? '', m.status ?? '',
      m.usage?.prompt_tokens ?? '', m.usage?.completion_tokens ?? '', m.usage?.total_tokens ?? '', m.content,
    ];
    rows.push(cells.map((cell) => (typeof cell === 'number' ? String(cell) : csvCell(cell))).join(','));
  }
  return `${rows.join('\r\n')}\r\n`;
}

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(text: string): string {
  const safe = FORMULA_START.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
