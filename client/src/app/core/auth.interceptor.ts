import { HttpInterceptorFn } from '@angular/common/http';
import { inject } from '@angular/core';
import { IdentityStore } from './identity-store';

/** Adds the guest token to every API call made through HttpClient (the generated client). */
export const authInterceptor: HttpInterceptorFn = (request, next) => {
  const token = inject(IdentityStore).token();
  if (!token || request.headers.has('Authorization')) return next(request);
  return next(request.clone({ setHeaders: { Authorization: `Bearer ${token}` } }));
};
