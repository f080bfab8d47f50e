import { HttpErrorResponse } from '@angular/common/http';
import { problemOf } from '../core/api-error';

/** A failed sign-in or registration, split into what goes under each field and what goes under the form. */
export interface SignInProblems {
  username: string | null;
  password: string | null;
  form: string | null;
}

/**
 * 400 lines that name a field go under that field; 409 (username taken) under the username;
 * 401 (wrong username or password), 403, 429 and the rest under the form.
 */
export function signInProblems(error: unknown): SignInProblems {
  const problem = problemOf(error);
  const problems: SignInProblems = { username: null, password: null, form: null };
  const details = error instanceof HttpErrorResponse && Array.isArray(error.error?.details) ? (error.error.details as unknown[]).map(String) : [];
  if (problem.status === 400 && details.length > 0) {
    const about = (field: string) => details.filter((line) => line.startsWith(field)).join(' ') || null;
    problems.username = about('username');
    problems.password = about('password');
    const rest = details.filter((line) => !line.startsWith('username') && !line.startsWith('password'));
    problems.form = rest.length > 0 ? rest.join(' ') : null;
  } else if (problem.status === 409) {
    problems.username = problem.message;
  } else {
    problems.form = problem.message;
  }
  return problems;
}
