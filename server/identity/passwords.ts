import { Algorithm, hash, verify } from '@node-rs/argon2';

/** argon2id with OWASP's baseline cost (19 MiB, 2 passes, 1 lane): ~tens of ms per hash. */
const OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export const USERNAME_PATTERN = /^[a-z0-9._-]{3,32}$/;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

/** A hash of nothing anyone knows, verified for unknown names so they take as long as known ones. */
let decoy: Promise<string> | undefined;

export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  if (stored === null) {
    decoy ??= hashPassword(`decoy-${Math.random()}`);
    await verify(await decoy, password).catch(() => false);
    return false;
  }
  return verify(stored, password).catch(() => false);
}

/** What is wrong with a user name or password, in words a person can act on (null: nothing). */
export function usernameProblem(username: string): string | null {
  if (username.length < 3 || username.length > 32) return 'username must be 3-32 characters long';
  if (!USERNAME_PATTERN.test(username)) return 'username may only hold lowercase letters, digits, ".", "_" and "-"';
  return null;
}

export function passwordProblem(password: string): string | null {
  if (password.length < PASSWORD_MIN) return `password must be at least ${PASSWORD_MIN} characters long`;
  if (password.length > PASSWORD_MAX) return `password must be at most ${PASSWORD_MAX} characters long`;
  return null;
}
