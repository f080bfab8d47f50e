import { FakeOpenAI } from '../../test/support/fake-openai';

/** A realistic mix of answers: prose, lists, and a code block every third turn. */
export function answerFor(turn: number): string {
  const prose = `Answer ${turn}. Here is a thoughtful reply with **emphasis**, a [link](https://example.com/${turn}) and some \`inline code\`.`;
  if (turn % 3 === 0) {
    return `${prose}\n\n\`\`\`typescript\nexport function step${turn}(input: number[]): number {\n  // sum the positive values\n  return input.filter((n) => n > 0).reduce((a, b) => a + b, 0);\n}\n\`\`\`\n\nThat covers it.`;
  }
  if (turn % 3 === 1) return `${prose}\n\n1. First point of turn ${turn}\n2. Second point\n3. Third point, a little longer than the others so it wraps on a phone.`;
  return `${prose} ${'More detail follows in a second sentence that makes this paragraph wrap. '.repeat(2)}`;
}

export interface Seeded {
  token: string;
  userId: string;
  sessionId: string;
  messages: number;
  seconds: number;
}

async function call<T>(url: string, init: RequestInit): Promise<T> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** A guest with one session holding `turns` × 2 messages, written through the API like any client. */
export async function seedSession(appUrl: string, fake: FakeOpenAI, turns: number): Promise<Seeded> {
  const started = Date.now();
  const guest = await call<{ user_id: string; token: string }>(`${appUrl}/api/auth/guest`, { method: 'POST' });
  const headers = { Authorization: `Bearer ${guest.token}`, 'Content-Type': 'application/json' };
  const session = await call<{ session_id: string }>(`${appUrl}/api/sessions`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ display_name: `${turns * 2} messages` }),
  });
  let turn = 0;
  fake.setDefault(() => ({ text: answerFor(turn) }));
  for (turn = 0; turn < turns; turn++) {
    await call(`${appUrl}/api/sessions/${session.session_id}/messages`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ content: `Question ${turn}: how would you approach this, step by step?` }),
    });
    if (turn % 200 === 199) process.stdout.write(`  seeded ${(turn + 1) * 2} messages\n`);
  }
  return { token: guest.token, userId: guest.user_id, sessionId: session.session_id, messages: turns * 2, seconds: (Date.now() - started) / 1000 };
}

/** Adds `count` more sessions to the guest (8 requests at a time). */
export async function seedSessions(appUrl: string, token: string, count: number): Promise<void> {
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await call(`${appUrl}/api/sessions`, { method: 'POST', headers, body: JSON.stringify({ display_name: `Project ${i}` }) });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}
