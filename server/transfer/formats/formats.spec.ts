import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { activePath, ConversationTree, ImportFormatError } from '../conversation-tree';
import { JsonElementSplitter, parseElement } from '../json-elements';
import { toConversationTree } from './detect';
import { toSessionExport } from './nono';
import { csvCell, toCsv, toMarkdown } from './readable';

const FIXTURES = join(__dirname, '../../../test/fixtures');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

/** Every conversation of a file, fed in chunks of `chunk` bytes. */
function readAll(file: Buffer, chunk = 1 << 16): ConversationTree[] {
  const splitter = new JsonElementSplitter(1 << 20);
  const trees: ConversationTree[] = [];
  for (let i = 0; i < file.length; i += chunk) {
    for (const element of splitter.push(file.subarray(i, i + chunk))) trees.push(toConversationTree(parseElement(element), element.index));
  }
  splitter.end();
  return trees;
}

const problem = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ImportFormatError);
    return (error as Error).message;
  }
  throw new Error('expected an ImportFormatError');
};

describe('ChatGPT conversations.json', () => {
  const [reverse, translations] = readAll(fixture('chatgpt-conversations.json'));

  it('keeps the mapping as a tree, parents first, without the empty root and hidden system prompt', () => {
    expect(reverse.source).toBe('chatgpt');
    expect(reverse.source_id).toBe('6630f0a1-0000-4000-8000-00000000c001');
    expect(reverse.messages.map((m) => m.id)).toEqual(['ctx1', 'u1', 'a1-old', 'a1-new', 'u2', 'a2-code', 't2', 'a2']);
    const byId = new Map(reverse.messages.map((m) => [m.id, m]));
    expect(byId.get('ctx1')!.parent_id).toBeNull();
    expect(byId.get('a1-old')!.parent_id).toBe('u1');
    expect(byId.get('a1-new')!.parent_id).toBe('u1');
    for (const [i, m] of reverse.messages.entries()) {
      if (m.parent_id !== null) expect(reverse.messages.findIndex((p) => p.id === m.parent_id)).toBeLessThan(i);
    }
  });

  it('follows current_node for the branch shown, with roles, models and non-text parts rendered', () => {
    const path = activePath(reverse);
    expect(path.map((m) => [m.id, m.role])).toEqual([
      ['ctx1', 'system'], ['u1', 'user'], ['a1-new', 'assistant'], ['u2', 'user'], ['a2-code', 'assistant'], ['t2', 'tool'], ['a2', 'assistant'],
    ]);
    expect(path[0].content).toBe('You are ChatGPT. Answer concisely.');
    expect(path[2]).toMatchObject({ model: 'gpt-4o', finish_reason: 'stop', status: 'complete', created_at: 1714560003000 });
    expect(path[3].content).toBe('![image](file-service://file-AbC123)\n\nRun it on the list in this screenshot');
    expect(path[4].content).toBe('```python\nnums = [1, 2, 3]\nprint(nums[::-1])\n```');
    expect(path[5].content).toBe('```output\n[3, 2, 1]\n```');
  });

  it('keeps edited questions as sibling branches and marks an unfinished answer interrupted', () => {
    expect(translations.messages.filter((m) => m.parent_id === null).map((m) => m.id)).toEqual(['e1', 'e2']);
    const path = activePath(translations);
    expect(path.map((m) => m.id)).toEqual(['e2', 'e2a', 'e3', 'e3a']);
    expect(path[3]).toMatchObject({ status: 'interrupted', content: '> Cats are small.\n\n— [Cats](https://example.org/cats)' });
  });

  it('names the conversation and the node of a broken tree', () => {
    const broken = { title: 'Broken', mapping: { a: { id: 'a', parent: 'zzz', children: [], message: null } }, current_node: 'a' };
    expect(problem(() => toConversationTree(broken, 4))).toBe(
      'Conversation 5 ("Broken"): message "a" has parent "zzz", which is not in the conversation',
    );
    const cycle = { title: 'Loop', mapping: { a: { parent: 'b', children: ['b'] }, b: { parent: 'a', children: ['a'] } } };
    expect(problem(() => toConversationTree(cycle, 0))).toMatch(/Conversation 1 \("Loop"\): message "a" is part of a parent cycle/);
    const role = { title: 'Role', mapping: { a: { parent: null, message: { author: { role: 'robot' }, content: { content_type: 'text', parts: ['x'] } } } } };
    expect(problem(() => toConversationTree(role, 0))).toMatch(/author.role "robot" is not user, assistant, system or tool/);
  });
});

describe('Claude conversations.json', () => {
  const [weather, old] = readAll(fixture('claude-conversations.json'));

  it('follows parent_message_uuid (a retry is a branch) and shows the last message\'s branch', () => {
    expect(weather.source).toBe('claude');
    expect(weather.messages.map((m) => [m.id, m.parent_id])).toEqual([['m1', null], ['m2', 'm1'], ['m3', 'm2'], ['m4', 'm3'], ['m5', 'm3']]);
    expect(activePath(weather).map((m) => m.id)).toEqual(['m1', 'm2', 'm3', 'm5']);
  });

  it('renders thinking, tool use and results, attachments and files', () => {
    const [question, answer] = weather.messages;
    expect(question.content).toBe(
      "What's the weather in Paris? See the notes.\n\n**Attachment: notes.txt**\n\n```\nBring an umbrella.\n```\n\n[file: map.png]",
    );
    expect(answer.content).toContain('> *Thinking:* The user wants weather.');
    expect(answer.content).toContain('**Tool call: get_weather**\n\n```json\n{\n  "city": "Paris"\n}\n```');
    expect(answer.content).toContain('**Tool result: get_weather**\n\n12°C, rain');
    expect(answer.content.endsWith('It is 12°C and raining in Paris.')).toBe(true);
  });

  it('reads older exports without parent links as one chain in file order', () => {
    expect(old.messages.map((m) => [m.id, m.parent_id, m.role])).toEqual([['o1', null, 'user'], ['o2', 'o1', 'assistant']]);
    expect(old.messages[0].content).toBe('+SUM(A1:A9)');
  });
});

describe('own export', () => {
  const tree: ConversationTree = {
    source: 'nono', source_id: 's_x', title: 'Mine', persona: 'default', created_at: 1_700_000_000_000, last_activity: 1_700_000_100_000,
    pinned: true, tags: ['work'], metadata: { topic: 'x' }, settings: null, active_leaf_id: 'b',
    messages: [
      { id: 'a', parent_id: null, role: 'user', content: 'hi', created_at: 1_700_000_000_000, persona: 'default' },
      { id: 'b', parent_id: 'a', role: 'assistant', content: 'hello', created_at: 1_700_000_001_000, model: 'm', status: 'complete', finish_reason: 'stop', usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } },
    ],
  };

  it('reads back what it writes, and says which version it cannot read', () => {
    const file = Buffer.from(JSON.stringify(toSessionExport(tree, { session_id: 's_x', persona: 'default', persona_name: 'Default', exported_at: 0 })));
    const [back] = readAll(file);
    expect(back).toEqual(tree);
    const future = { ...JSON.parse(file.toString()), version: 2 };
    expect(problem(() => toConversationTree(future, 0))).toBe('Conversation 1 ("Mine"): version 2 is not one this server reads (1)');
  });

  it('reads NDJSON: one export per line', () => {
    const line = JSON.stringify(toSessionExport(tree, { session_id: 's_x', persona: 'default', persona_name: null, exported_at: 0 }));
    expect(readAll(Buffer.from(`${line}\n${line}\n`), 7)).toHaveLength(2);
  });
});

describe('JsonElementSplitter', () => {
  it('finds the same elements whatever the chunk size, with escaped quotes and brackets in strings', () => {
    const items = [{ a: 'x"}]\\', b: [1, { c: '\\"' }] }, { d: '\u00e9\u{1F600}{[' }];
    const text = Buffer.from(`\uFEFF [ ${items.map((i) => JSON.stringify(i)).join(' ,\n')} ] \n`);
    for (const size of [1, 2, 3, 5, 64]) {
      const splitter = new JsonElementSplitter(1024);
      const found: unknown[] = [];
      for (let i = 0; i < text.length; i += size) for (const e of splitter.push(text.subarray(i, i + size))) found.push(parseElement(e));
      splitter.end();
      expect(found).toEqual(items);
    }
  });

  it.each([
    ['', 'The file is empty'],
    ['[{"a":1}', 'ends before the closing "]"'],
    ['[{"a":1},{"b":', 'ends in the middle of conversation 2'],
    ['[{"a":1} {"b":2}]', 'Expected "," or "]" after conversation 1'],
    ['[1]', 'Conversation 1 (byte 1) is not a JSON object'],
    ['[{"a":1}] x', 'after the end of the conversations array'],
    ['"text"', 'it must start with "[" (a conversations.json) or "{"'],
  ])('refuses %j: %s', (text, message) => {
    expect(problem(() => {
      const splitter = new JsonElementSplitter(1024);
      splitter.push(Buffer.from(text));
      splitter.end();
    })).toContain(message);
  });

  it('refuses a conversation over the size limit, and names a syntax error\'s conversation', () => {
    expect(problem(() => new JsonElementSplitter(10).push(Buffer.from('[{"a":"0123456789"}]')))).toContain('larger than 10 bytes');
    const [element] = new JsonElementSplitter(100).push(Buffer.from('[{"a":tru}]'));
    expect(problem(() => parseElement(element))).toMatch(/^Conversation 1 \(at byte 1\) is not valid JSON: /);
  });
});

describe('readable exports', () => {
  const [weather, old] = readAll(fixture('claude-conversations.json'));

  it('CSV: RFC 4180 quoting, CRLF, and formula cells neutralised', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    for (const start of ['+', '-', '@', '\t', '\r']) expect(csvCell(`${start}1`).replace(/^"/, '').startsWith(`'${start}`)).toBe(true);
    expect(csvCell('plain')).toBe('plain');
    const csv = toCsv(old, 's_1');
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('session_id,message_id,parent_id,role,created_at,persona,model,status,prompt_tokens,completion_tokens,total_tokens,content');
    expect(lines[1]).toBe("s_1,o1,,user,2024-06-01T08:00:00.000Z,,,,,,,'+SUM(A1:A9)");
    expect(csv).toContain(',"That looks like a spreadsheet formula, with a comma, and ""quotes""\r\nand two lines."\r\n'.replace('\r\nand', '\nand'));
  });

  it('Markdown: title, persona by name, each message of the shown branch under its author and time', () => {
    const md = toMarkdown(weather, { key: 'default', name: 'Helpful Assistant' }, Date.UTC(2026, 0, 2, 3, 4));
    expect(md).toMatch(/^# Weather tool and a retry\n\n- Persona: Helpful Assistant \(`default`\)\n- Created: 2025-03-01 10:00 UTC\n- Exported: 2026-01-02 03:04 UTC\n/);
    expect(md).toContain('### You · 2025-03-01 10:02 UTC\n\nAnd tomorrow?');
    expect(md).toContain('### Helpful Assistant · 2025-03-01 10:04 UTC\n\nTomorrow: sunny, 15°C.');
    expect(md).not.toContain('first try');
  });
});
