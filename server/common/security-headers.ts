import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Content-Security-Policy of the web client: only its own scripts, styles, fonts and API.
 * style-src needs 'unsafe-inline' because Angular adds each component's styles as a <style>
 * element at run time; scripts get no such allowance.
 */
const CLIENT_POLICY = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'connect-src': ["'self'"],
  'font-src': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  // Same-origin and data: images only: an answer cannot make the browser call another server.
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"],
};

/**
 * Browser hardening on every response (client, API, health): a strict CSP, no framing, no MIME
 * sniffing, no referrer. Strict-Transport-Security is left to the TLS-terminating proxy, which
 * knows whether HTTPS is in place (sent over plain HTTP it would be ignored anyway).
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: CLIENT_POLICY },
    strictTransportSecurity: false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
}
