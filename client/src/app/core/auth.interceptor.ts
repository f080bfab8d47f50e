import { HttpErrorResponse, HttpInterceptorFn } from '@angular/common/http';
import { inject } from '@angular/core';
import { tap } from 'rxjs';
import { IdentityStore } from './identity-store';

/**
 * Adds the guest token to every API call made through HttpClient (the generated client), and
 * notes when the server refuses it (401): the identity is gone, which the page then says.
 */
export const authInterceptor: HttpInterceptorFn = (request, next) => {
  const identity = inject(IdentityStore);
  const token = identity.token();
  if (!token || request.headers.has('Authorization')) return next(request);
  return next(request.clone({ setHeaders: { Authorization: `Bearer ${token}` } })).pipe(
    tap({ error: (error: unknown) => error instanceof HttpErrorResponse && error.status === 401 && identity.markLost(token) }),
  );
};
