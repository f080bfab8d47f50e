/**
 * Named points of the start-up (`nono:<name>` performance marks), read by the first-paint
 * benchmark next to the browser's own resource and paint timings. Each is set once per page load.
 */
export type StartupMark = 'main' | 'bootstrapped' | 'requests' | 'history' | 'messages-rendered';

const set = new Set<StartupMark>();

export function markStartup(name: StartupMark): void {
  if (set.has(name)) return;
  set.add(name);
  globalThis.performance?.mark?.(`nono:${name}`);
}
