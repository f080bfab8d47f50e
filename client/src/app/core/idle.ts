/**
 * Runs `task` when the browser has nothing more urgent, at the latest after `timeoutMs` (a short
 * timer where requestIdleCallback is missing). Returns a function that cancels it if not run yet.
 */
export function whenIdle(task: () => void, timeoutMs = 1000): () => void {
  if (typeof requestIdleCallback === 'function') {
    const handle = requestIdleCallback(task, { timeout: timeoutMs });
    return () => cancelIdleCallback(handle);
  }
  const timer = setTimeout(task, 50);
  return () => clearTimeout(timer);
}
