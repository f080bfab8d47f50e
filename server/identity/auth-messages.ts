import type { AuthMode } from '../config/env';

/** Error messages of sign-in, each saying what to do next. */
export function missingTokenMessage(mode: AuthMode): string {
  if (mode === 'accounts') {
    return 'Missing bearer token: sign in with POST /api/auth/login (or POST /api/auth/register) and send Authorization: Bearer <token>';
  }
  if (mode === 'proxy') return 'Missing bearer token: sign in through the proxy, or send Authorization: Bearer <API token>';
  return 'Missing bearer token: send Authorization: Bearer <token> from POST /api/auth/guest';
}

export function invalidTokenMessage(mode: AuthMode): string {
  if (mode === 'guest') return 'Invalid or expired token: get a new one from POST /api/auth/guest';
  if (mode === 'proxy') return 'Invalid or expired token: sign in through the proxy again, or create a new API token';
  return 'Invalid or expired token: sign in again with POST /api/auth/login';
}

export function guestsOffMessage(mode: AuthMode): string {
  return (
    `Guest access is off on this server (AUTH_MODE=${mode}): ` +
    (mode === 'accounts' ? 'register or sign in with a username and password' : 'sign in through the proxy') +
    '. The administrator can allow guests with ALLOW_GUESTS=true.'
  );
}

export const WRONG_CREDENTIALS = 'Wrong username or password';

export function accountsOffMessage(mode: AuthMode): string {
  return `Accounts are off on this server (AUTH_MODE=${mode}); the administrator can turn them on with AUTH_MODE=accounts`;
}

export const REGISTRATION_CLOSED =
  'Registration is closed on this server (REGISTRATION=closed): ask the administrator to add you with npm run users -- add NAME';

export const BAD_PROXY_USER =
  'The user name the proxy sent is not usable: it must be 1-256 characters without control characters';
