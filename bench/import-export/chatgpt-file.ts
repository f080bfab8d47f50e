import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * Writes a ChatGPT-format conversations.json of about `sizeBytes`: conversations of `turns`
 * user/assistant pairs under an empty root and a hidden system message, with a regenerated answer
 * (a branch) in every tenth turn. Returns how many messages it holds (branches included).
 */
export async function writeChatGptFile(path: string, sizeBytes: number, turns = 20): Promise<{ conversations: number; messages: number }> {
  const out = createWriteStream(path);
  let written = 0;
  let conversations = 0;
  let messages = 0;
  const write = async (text: string) => {
    written += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  };
  await write('[');
  const filler = 'The quick brown fox jumps over the lazy dog. '.repeat(6);
  while (written < sizeBytes) {
    const c = conversations++;
    const mapping: Record<string, unknown> = {};
    const t0 = 1_700_000_000 + c * 100;
    const node = (id: string, parent: string | null, children: string[], message: unknown) => (mapping[id] = { id, message, parent, children });
    node(`c${c}-root`, null, [`c${c}-sys`], null);
    node(`c${c}-sys`, `c${c}-root`, [`c${c}-u0`], {
      id: `c${c}-sys`, author: { role: 'system', name: null, metadata: {} }, create_time: null, update_time: null,
      content: { content_type: 'text', parts: [''] }, status: 'finished_successfully', end_turn: true, weight: 0,
      metadata: { is_visually_hidden_from_conversation: true }, recipient: 'all',
    });
    let parent = `c${c}-sys`;
    for (let t = 0; t < turns; t++) {
      const u = `c${c}-u${t}`;
      const a = `c${c}-a${t}`;
      const branch = t % 10 === 9 ? [`c${c}-b${t}`] : [];
      const next = t + 1 < turns ? [`c${c}-u${t + 1}`] : [];
      const msg = (id: string, role: string, text: string, at: number) => ({
        id, author: { role, name: null, metadata: {} }, create_time: at, update_time: null,
        content: { content_type: 'text', parts: [text] }, status: 'finished_successfully', end_turn: role === 'assistant' ? true : null,
        weight: 1, metadata: role === 'assistant' ? { model_slug: 'gpt-4o', finish_details: { type: 'stop' } } : {}, recipient: 'all',
      });
      node(u, parent, [...branch, a], msg(u, 'user', `Question ${t} of conversation ${c}: ${filler}`, t0 + t * 2));
      if (branch.length) node(branch[0], u, [], msg(branch[0], 'assistant', `First answer ${t}: ${filler}`, t0 + t * 2 + 0.5));
      node(a, u, next, msg(a, 'assistant', `Answer ${t}: ${filler}${filler}`, t0 + t * 2 + 1));
      messages += 2 + branch.length;
      parent = a;
    }
    const conversation = {
      title: `Conversation ${c}`, create_time: t0, update_time: t0 + turns * 2, mapping, moderation_results: [],
      current_node: parent, plugin_ids: null, conversation_id: `conv-${c}`, conversation_template_id: null, gizmo_id: null,
      is_archived: false, safe_urls: [], default_model_slug: 'gpt-4o', id: `conv-${c}`,
    };
    await write((c === 0 ? '' : ',\n') + JSON.stringify(conversation));
  }
  await write(']\n');
  out.end();
  await once(out, 'finish');
  return { conversations, messages };
}
