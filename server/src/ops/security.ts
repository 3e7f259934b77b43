// HTTP security headers (helmet), with a Content-Security-Policy cut to what the built client
// (client/dist, a Vite single-page app) does: module scripts and Web Workers from its own files,
// socket.io and fetch to the same origin, no inline scripts, no plug-ins, never in a frame.
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * The policy, directive by directive. Why each is what it is:
 * - script-src, worker-src 'self': index.html loads one module script and the page starts its
 *   workers from same-origin files (no inline script, no blob: worker); no WebAssembly, so no
 *   'wasm-unsafe-eval'. zod's compiled parsers would probe eval() (and fall back when refused,
 *   after a reported violation): the client turns them off, client/src/app/zodWithoutEval.ts.
 * - connect-src 'self': fetch and socket.io to the page's origin. CSP Level 3 'self' also
 *   matches ws: and wss: on the page's host and port, which is what socket.io upgrades to.
 * - style-src 'self': the client's CSS is files; React's style props are set through the DOM
 *   (CSSOM), which a policy does not govern, so no 'unsafe-inline'.
 * - img-src data: blob: the favicon is a data: URL; blob: for images a page builds itself.
 * - frame-ancestors 'none' (and X-Frame-Options DENY for old browsers): a contribute button
 *   must never be clickjacked inside someone else's page.
 * - no upgrade-insecure-requests: `npm start` serves plain HTTP, often on a lab address where
 *   an upgrade to https would break every request; TLS belongs to the proxy in front.
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  workerSrc: ["'self'"],
  connectSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    frameguard: { action: 'deny' },
  });
}
