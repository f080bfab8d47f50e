const SHARED_PATH = /^\/shared\/([^/]+)\/?$/;

/** The share id in a path like `/shared/{id}`; null for any other path. */
export function sharedIdIn(path: string): string | null {
  const match = SHARED_PATH.exec(path);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}
