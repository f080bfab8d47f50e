import { HttpClient } from '@angular/common/http';
import { firstValueFrom } from 'rxjs';
import type { ImportReportDto } from '../api/models/import-report-dto';

/**
 * The file name a download should get: the server's (RFC 6266 `filename*` first, then `filename`),
 * never a path, else `fallback`.
 */
export function filenameFrom(disposition: string | null, fallback: string): string {
  if (!disposition) return fallback;
  const extended = /filename\*\s*=\s*([\w-]+)'[^']*'([^;]+)/i.exec(disposition);
  if (extended) {
    try {
      const name = safeName(decodeURIComponent(extended[2].trim()));
      if (name) return name;
    } catch {
      // A malformed escape: fall through to the plain form.
    }
  }
  const plain = /(?:^|;)\s*filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/i.exec(disposition);
  const name = plain ? safeName((plain[1] ?? plain[2] ?? '').replace(/\\(.)/g, '$1').trim()) : '';
  return name || fallback;
}

function safeName(name: string): string {
  return name.replace(/[/\\]/g, '_').replace(/^\.+/, '');
}

/**
 * Downloads an API resource as a file with the server's name. A plain link cannot carry the
 * Authorization header, so the body is fetched through HttpClient (the interceptor adds the token)
 * and saved from a Blob. Resolves with the name used.
 */
export async function downloadFile(http: HttpClient, url: string, fallback: string): Promise<string> {
  const response = await firstValueFrom(http.get(url, { observe: 'response', responseType: 'blob' }));
  const name = filenameFrom(response.headers.get('Content-Disposition'), fallback);
  saveBlob(response.body ?? new Blob([]), name);
  return name;
}

export function saveBlob(blob: Blob, name: string): void {
  const href = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = href;
  link.download = name;
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
  // The browser has taken the file by then; the URL only holds memory.
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}

export interface UploadHandle {
  done: Promise<ImportReportDto>;
  abort(): void;
}

/** An upload the server refused (its message says what to fix) or that never arrived. */
export class UploadError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * POST /api/import with the file as the body. XHR rather than HttpClient: the app's HttpClient runs
 * on fetch, which reports no upload progress; `progress` gets the fraction sent (0..1).
 */
export function uploadImport(file: Blob, options: { persona?: string; token: string | null; progress: (fraction: number) => void }): UploadHandle {
  const xhr = new XMLHttpRequest();
  const query = options.persona ? `?persona=${encodeURIComponent(options.persona)}` : '';
  const done = new Promise<ImportReportDto>((resolve, reject) => {
    xhr.open('POST', `/api/import${query}`);
    if (options.token) xhr.setRequestHeader('Authorization', `Bearer ${options.token}`);
    // The server tells the formats apart by content; octet-stream keeps any JSON body parser off the stream.
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) options.progress(event.loaded / event.total);
    };
    xhr.upload.onload = () => options.progress(1);
    xhr.onload = () => {
      const body = parseJson(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300 && body && typeof body === 'object') resolve(body as ImportReportDto);
      else reject(new UploadError(messageOf(body) ?? `The server answered ${xhr.status}.`, xhr.status));
    };
    xhr.onerror = () => reject(new UploadError('Cannot reach the nono-chat server. Check your connection and try again.', 0));
    xhr.onabort = () => reject(new UploadError('The upload was cancelled.', 0));
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function messageOf(body: unknown): string | null {
  if (!body || typeof body !== 'object') return null;
  const message = (body as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.join('; ');
  return null;
}
