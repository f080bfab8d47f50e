import { idInPath } from '../core/session-path';

const SHARED_PATH = /^\/shared\/([^/]+)\/?$/;

/** The share id in a path like `/shared/{id}`; null for any other path. */
export function sharedIdIn(path: string): string | null {
  return idInPath(SHARED_PATH, path);
}
