import request from 'supertest';
import type { Guest } from './guest';

/** What a person sees through the API with `who`'s token: identity, sessions, each one's history. */
export async function apiView(url: string, who: Guest) {
  const me = (await request(url).get('/api/me').set(who.auth).expect(200)).body;
  const list = (await request(url).get('/api/sessions?limit=100').set(who.auth).expect(200)).body;
  const histories: Record<string, unknown> = {};
  for (const s of list.sessions) {
    histories[s.session_id] = (await request(url).get(`/api/sessions/${s.session_id}/messages?limit=200`).set(who.auth).expect(200)).body;
  }
  // expires_at moves with every renewing read; the rest must match exactly.
  const sessions = list.sessions.map(({ expires_at: _e, ...rest }: Record<string, unknown>) => rest);
  return { me, sessions, histories };
}
