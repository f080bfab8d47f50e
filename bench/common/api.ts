/** The few API calls the benchmarks make to set up data, over real HTTP like any client. */
export async function postJson(url: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Record<string, any>> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, any>;
}

/** A new guest identity and the Authorization header that carries its token. */
export async function guestIdentity(url: string): Promise<{ userId: string; auth: Record<string, string> }> {
  const guest = await postJson(url, '/api/auth/guest', {});
  return { userId: guest.user_id as string, auth: { Authorization: `Bearer ${guest.token}` } };
}
