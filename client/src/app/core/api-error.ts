import { HttpErrorResponse } from '@angular/common/http';
import { ApiErrorBody } from './api-types';

/** A failed call reduced to what the UI shows: the status and a sentence a person can act on. */
export interface ProblemInfo {
  status: number;
  message: string;
}

/** A stream request (fetch) that never reached the server; sending tries again by itself. */
export const SERVER_UNREACHABLE_RETRYING = 'Cannot reach the nono-chat server — retrying';
/** A call that never reached the server and is not retried by itself. */
export const SERVER_UNREACHABLE = 'Cannot reach the nono-chat server. Check your connection and try again.';

/** fetch's own words for "no answer at all" ("Failed to fetch", "NetworkError…", "Load failed"). */
export function isNetworkFailure(error: unknown): boolean {
  return error instanceof TypeError && /fetch|network|load failed/i.test(error.message);
}

export function problemOf(error: unknown): ProblemInfo {
  if (error instanceof HttpErrorResponse) {
    const body = error.error as Partial<ApiErrorBody> | string | null;
    if (body && typeof body === 'object' && typeof body.message === 'string') {
      return { status: error.status, message: body.message };
    }
    if (error.status === 0) return { status: 0, message: SERVER_UNREACHABLE };
    return { status: error.status, message: error.message };
  }
  if (isNetworkFailure(error)) return { status: 0, message: SERVER_UNREACHABLE };
  if (error instanceof Error) return { status: 0, message: error.message };
  return { status: 0, message: String(error) };
}

export function statusOf(error: unknown): number {
  return error instanceof HttpErrorResponse ? error.status : 0;
}

/** The 503 the chat answers when no model is configured (the settings to add are in the server's log and /health). */
export function isModelNotConfigured(problem: ProblemInfo): boolean {
  return problem.status === 503 && /^Chat is not set up/.test(problem.message);
}
