import { HttpInterceptorFn } from '@angular/common/http';
import { inject } from '@angular/core';
import { tap } from 'rxjs';
import { AuthState } from '../state/auth-state';
import { statusOf } from './api-error';
import { IdentityStore } from './identity-store';

/**
 * Adds the stored token to every API call made through HttpClient (the generated client), and
 * notes when the server refuses it (401) while the app is open: on an accounts server the session
 * has ended (revoked, expired) and AuthState asks for a sign-in; elsewhere the identity is gone,
 * which the page then says.
 */
export const authInterceptor: HttpInterceptorFn = (request, next) => {
  const identity = inject(IdentityStore);
  const token = identity.token();
  if (!token || request.headers.has('Authorization')) return next(request);
  const auth = inject(AuthState);
  return next(request.clone({ setHeaders: { Authorization: `Bearer ${token}` } })).pipe(
    tap({
      error: (error: unknown) => {
        if (statusOf(error) !== 401) return;
        if (auth.settings()?.mode === 'accounts') auth.rejectedWhileOpen(token, request.url);
        else identity.markLost(token);
      },
    }),
  );
};
