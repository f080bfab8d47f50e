import { HttpErrorResponse, HttpHeaders, HttpInterceptorFn, HttpResponse } from '@angular/common/http';
import { from, switchMap } from 'rxjs';
import { takeSentAhead } from './start-requests';

/**
 * Answers a start-up GET from the request sent before the app's code loaded (start-requests.ts),
 * when one with the same URL and token is waiting; everything else, and a request that failed on
 * the way, goes to the server as usual. Runs after the auth interceptor, which adds the token.
 */
export const sentAheadInterceptor: HttpInterceptorFn = (request, next) => {
  if (request.method !== 'GET' || request.responseType !== 'json') return next(request);
  const sent = takeSentAhead(request.urlWithParams, request.headers.get('Authorization'));
  if (!sent) return next(request);
  return from(sent.then(readAnswer)).pipe(switchMap((answer) => (answer ? answerWith(answer) : next(request))));
};

interface Answer {
  response: Response;
  body: unknown;
}

/** The body as JSON; null when it is not (the app then asks the server itself). */
async function readAnswer(response: Response | null): Promise<Answer | null> {
  if (!response) return null;
  try {
    const text = await response.text();
    return { response, body: text ? JSON.parse(text) : null };
  } catch {
    return null;
  }
}

/** The answer as HttpClient gives it: a response, or an error response for a non-2xx status. */
async function answerWith({ response, body }: Answer): Promise<HttpResponse<unknown>> {
  const init = { headers: new HttpHeaders(Object.fromEntries(response.headers.entries())), status: response.status, statusText: response.statusText, url: response.url };
  if (response.ok) return new HttpResponse({ ...init, body });
  throw new HttpErrorResponse({ ...init, error: body });
}
