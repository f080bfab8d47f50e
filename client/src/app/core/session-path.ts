// No Angular here: the start-up requests (start-requests.ts) read the address before the app's code loads.
const SESSION_PATH = /^\/s\/([^/]+)\/?$/;

/** The id a path pattern captures (its first group, URL-decoded); null when it does not match. */
export function idInPath(pattern: RegExp, path: string): string | null {
  const match = pattern.exec(path);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}

/** The session id in a path like `/s/{id}`; null for any other path. */
export function sessionIdIn(path: string): string | null {
  return idInPath(SESSION_PATH, path);
}

export function sessionPath(sessionId: string): string {
  return `/s/${encodeURIComponent(sessionId)}`;
}
