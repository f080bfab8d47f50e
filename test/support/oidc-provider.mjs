// A local OpenID Connect provider for the sign-in tests (oidc-provider with its development
// sign-in pages: any login name and password are accepted). Usage:
//   PORT=... CLIENT_ID=... CLIENT_SECRET=... REDIRECT_URI=... node test/support/oidc-provider.mjs
// Prints "ready <issuer>" once listening.
import Provider from 'oidc-provider';

const { PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI } = process.env;
const issuer = `http://127.0.0.1:${PORT}`;

const provider = new Provider(issuer, {
  clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [REDIRECT_URI] }],
  claims: { openid: ['sub'], profile: ['preferred_username'], email: ['email'] },
  features: { devInteractions: { enabled: true } },
  async findAccount(_ctx, sub) {
    return { accountId: sub, claims: async () => ({ sub, preferred_username: sub, email: `${sub}@example.test` }) };
  },
});

provider.listen(Number(PORT), '127.0.0.1', () => process.stdout.write(`ready ${issuer}\n`));
