import { HttpTestingController, TestRequest } from '@angular/common/http/testing';

/**
 * Waits (a few macrotask turns) for the one request matching method + URL path, because the code
 * under test awaits earlier answers before it sends the next request.
 */
export async function nextRequest(http: HttpTestingController, method: string, path: string): Promise<TestRequest> {
  for (let turn = 0; turn < 50; turn++) {
    const found = http.match((r) => r.method === method && r.url === path);
    if (found.length === 1) return found[0];
    if (found.length > 1) throw new Error(`${found.length} requests to ${method} ${path}`);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  throw new Error(`No request to ${method} ${path}`);
}

/** Settles pending promise chains (answers already flushed). */
export async function settle(): Promise<void> {
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setTimeout(resolve, 0));
}

export function errorBody(statusCode: number, message: string) {
  const error = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 409: 'Conflict', 503: 'Service Unavailable' }[statusCode] ?? 'Error';
  return { body: { statusCode, error, message }, init: { status: statusCode, statusText: error } };
}
