import { HttpInterceptorFn } from '@angular/common/http';
import { inject } from '@angular/core';
import { tap } from 'rxjs';
import { AuthState } from '../state/auth-state';
import { statusOf } from './api-error';
import { IdentityStore } from './identity-store';

/**
 * Adds the stored token to every API call made through HttpClient (the generated client), and
 * tells AuthState when the server rejects it while the app is open (revoked, expired).
 */
export const authInterceptor: HttpInterceptorFn = (request, next) => {
  const token = inject(IdentityStore).token();
  if (!token || request.headers.has('Authorization')) return next(request);
  const auth = inject(AuthState);
  return next(request.clone({ setHeaders: { Authorization: `Bearer ${token}` } })).pipe(
    tap({
      error: (error: unknown) => {
        if (statusOf(error) === 401) auth.rejectedWhileOpen(token, request.url);
      },
    }),
  );
};
