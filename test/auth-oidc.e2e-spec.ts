import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { freePort } from './support/ports';
import { BUILT_MAIN, builtIsCurrent } from './support/server-process';
import { deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from './support/redis';

/**
 * OpenID Connect sign-in end to end. openid-client and oidc-provider are ESM-only, which jest
 * cannot load, so both the built app and a local provider run as child processes.
 */
const ROOT = resolve(__dirname, '..');

function ensureBuilt(): void {
  if (builtIsCurrent()) return;
  const build = spawnSync('npx', ['nest', 'build'], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
  if (build.status !== 0) throw new Error(`npx nest build failed:\n${build.stdout}\n${build.stderr}`);
}

/** Starts a child process and waits for a line matching `ready` on its output. */
function start(args: string[], env: Record<string, string>, ready: RegExp): Promise<ChildProcess> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
    let output = '';
    const timer = setTimeout(() => fail(new Error(`not ready in time:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (ready.test(output)) {
        clearTimeout(timer);
        done(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => fail(new Error(`exited with ${code}:\n${output}`)));
  });
}

/** A browser's part: follows redirects with cookies and submits the provider's sign-in and consent forms. */
async function browse(startUrl: string, login: string): Promise<{ res: Response; callbackUrl: string }> {
  const cookies = new Map<string, string>();
  let url = startUrl;
  let form: URLSearchParams | undefined;
  for (let step = 0; step < 20; step++) {
    const res = await fetch(url, {
      method: form ? 'POST' : 'GET',
      body: form,
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const header of res.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const at = pair.indexOf('=');
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    form = undefined;
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      // Stop at the app's own redirect into the web client.
      if (location.startsWith('/#')) return { res, callbackUrl: url };
      url = new URL(location, url).href;
      continue;
    }
    const page = await res.text();
    if (res.status !== 200 || !url.includes('/interaction/')) throw new Error(`unexpected ${res.status} at ${url}: ${page.slice(0, 300)}`);
    form = new URLSearchParams(page.includes('name="login"') ? { prompt: 'login', login, password: 'anything' } : { prompt: 'consent' });
  }
  throw new Error('too many steps');
}

describe('OpenID Connect sign-in', () => {
  let provider: ChildProcess | undefined;
  let app: ChildProcess | undefined;
  let appUrl: string;
  const prefix = uniquePrefix('oidc');

  beforeAll(async () => {
    ensureBuilt();
    const [providerPort, appPort] = [await freePort(), await freePort()];
    appUrl = `http://127.0.0.1:${appPort}`;
    const client = { CLIENT_ID: 'nono-chat', CLIENT_SECRET: 'a-test-secret', REDIRECT_URI: `${appUrl}/api/auth/oidc/callback` };
    provider = await start(['test/support/oidc-provider.mjs'], { PORT: String(providerPort), ...client }, /ready/);
    app = await start(
      [BUILT_MAIN],
      {
        PORT: String(appPort),
        HOST: '127.0.0.1',
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
        LOG_FORMAT: 'json',
        AUTH_MODE: 'accounts',
        OIDC_ISSUER_URL: `http://127.0.0.1:${providerPort}`,
        OIDC_CLIENT_ID: client.CLIENT_ID,
        OIDC_CLIENT_SECRET: client.CLIENT_SECRET,
      },
      /Listening on/,
    );
  }, 300_000);

  afterAll(async () => {
    for (const child of [app, provider]) {
      if (child && child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    }
    await deleteKeysWithPrefix(prefix);
  });

  it('login → provider → callback → a bearer token for the same identity every time', async () => {
    const settings = await (await fetch(`${appUrl}/api/auth/config`)).json();
    expect(settings).toMatchObject({ mode: 'accounts', oidc: true });
    const first = await browse(`${appUrl}/api/auth/oidc/login`, 'olivia');
    const fragment = new URLSearchParams(first.res.headers.get('location')!.slice(2));
    expect(fragment.get('token')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fragment.get('username')).toBe('olivia');
    const me = await fetch(`${appUrl}/api/me`, { headers: { Authorization: `Bearer ${fragment.get('token')}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ user_id: fragment.get('user_id'), kind: 'oidc', username: 'olivia' });

    const second = new URLSearchParams((await browse(`${appUrl}/api/auth/oidc/login`, 'olivia')).res.headers.get('location')!.slice(2));
    expect(second.get('user_id')).toBe(fragment.get('user_id'));
    expect(second.get('token')).not.toBe(fragment.get('token'));
    const other = new URLSearchParams((await browse(`${appUrl}/api/auth/oidc/login`, 'oscar')).res.headers.get('location')!.slice(2));
    expect(other.get('user_id')).not.toBe(fragment.get('user_id'));
  }, 60_000);

  it('a replayed callback and one with an unknown state are refused with 400', async () => {
    const { callbackUrl } = await browse(`${appUrl}/api/auth/oidc/login`, 'olivia');
    for (const url of [callbackUrl, `${appUrl}/api/auth/oidc/callback?code=x&state=forged`]) {
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(/unknown, used or expired/);
    }
  }, 60_000);
});
