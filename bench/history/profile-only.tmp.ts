import { buildServer, cpuMs, startFakeModel, startNono, startRedis } from '../common/processes';
const autocannon = require('autocannon');
async function main() {
  const serverMain = buildServer();
  const redis = await startRedis();
  const fake = await startFakeModel({ chunkDelayMs: 0 });
  const nono = await startNono(serverMain, redis.url, fake.url);
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${nono.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return (await res.json()) as any;
  };
  const guest = await post('/api/auth/guest', {});
  const auth = { Authorization: `Bearer ${guest.token}` };
  const session = await post('/api/sessions', {}, auth);
  for (let i = 0; i < 100; i++) await post(`/api/sessions/${session.session_id}/messages`, { content: `Question ${i}: how would you plan a three-day trip with a small budget, good food and some museums?` }, auth);
  const url = `${nono.url}${process.env.P_PATH ?? `/api/sessions/${session.session_id}/messages?limit=200`}`;
  await autocannon({ url, headers: auth, connections: 50, duration: 2 });
  const before = cpuMs(nono.child.pid!);
  const r = await autocannon({ url, headers: auth, connections: 50, duration: 6 });
  console.log('req/s', r.requests.average, 'cpu/req µs', ((cpuMs(nono.child.pid!) - before) * 1000 / r.requests.total).toFixed(0), 'non2xx', r.non2xx);
  await nono.stop(); await fake.stop(); await redis.stop();
}
main();
