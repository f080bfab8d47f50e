// No Angular here: the start-up requests (start-requests.ts) read the address before the app's code loads.
const SESSION_PATH = /^\/s\/([^/]+)\/?$/;

/** The session id in a path like `/s/{id}`; null for any other path. */
export function sessionIdIn(path: string): string | null {
  const match = SESSION_PATH.exec(path);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}

export function sessionPath(sessionId: string): string {
  return `/s/${encodeURIComponent(sessionId)}`;
}
