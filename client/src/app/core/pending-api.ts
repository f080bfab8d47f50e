/*
 * Stand-ins shaped exactly like ng-openapi-gen functions, for routes not yet in openapi.json.
 * Each is replaced by its generated twin (same call shape) as the spec grows.
 */
import { HttpClient, HttpContext, HttpResponse } from '@angular/common/http';
import { Observable, filter, map } from 'rxjs';
import { RequestBuilder } from '../api/request-builder';
import { StrictHttpResponse } from '../api/strict-http-response';
import { Identity, Message, MessagePage, NewSession, Session, SessionPage, SessionUpdate } from './api-types';

type Fn<P, R> = ((http: HttpClient, rootUrl: string, params: P, context?: HttpContext) => Observable<StrictHttpResponse<R>>) & { PATH: string };

function op<P extends object, R>(method: string, path: string, pathParams: string[] = [], queryParams: string[] = []): Fn<P, R> {
  const fn = (http: HttpClient, rootUrl: string, params: P, context?: HttpContext) => {
    const rb = new RequestBuilder(rootUrl, path, method);
    const values = params as Record<string, unknown>;
    for (const name of pathParams) rb.path(name, values[name], {});
    for (const name of queryParams) rb.query(name, values[name], {});
    if ('body' in values) rb.body(values['body'], 'application/json');
    return http.request(rb.build({ responseType: 'json', accept: 'application/json', context })).pipe(
      filter((r: unknown): r is HttpResponse<R> => r instanceof HttpResponse),
      map((r) => r as StrictHttpResponse<R>),
    );
  };
  return Object.assign(fn, { PATH: path });
}

export const createGuestIdentity = op<object, Identity>('post', '/api/auth/guest');
export const getCurrentIdentity = op<object, { user_id: string; created_at: string }>('get', '/api/me');
export const createSession = op<{ body: NewSession }, Session>('post', '/api/sessions');
export const listSessions = op<{ limit?: number; cursor?: string }, SessionPage>('get', '/api/sessions', [], ['limit', 'cursor']);
export const getSession = op<{ id: string }, Session>('get', '/api/sessions/{id}', ['id']);
export const updateSession = op<{ id: string; body: SessionUpdate }, Session>('patch', '/api/sessions/{id}', ['id']);
export const deleteSession = op<{ id: string }, void>('delete', '/api/sessions/{id}', ['id']);
export const clearSessionHistory = op<{ id: string }, Session>('delete', '/api/sessions/{id}/messages', ['id']);
export const listSessionMessages = op<{ id: string; limit?: number; before?: string }, MessagePage>(
  'get',
  '/api/sessions/{id}/messages',
  ['id'],
  ['limit', 'before'],
);
export const stopGeneration = op<{ id: string }, void>('post', '/api/sessions/{id}/stop', ['id']);
export type { Message };
