/**
 * The studio page's Content Security Policy, one definition for both shells. The desktop window talks
 * over IPC and may connect nowhere; browser mode adds exactly the WebSocket of the server it came from
 * (its port), never a wildcard that would let the page reach other local services.
 */
export interface PolicyOptions {
  /** WebSocket origins the page may open, e.g. `ws://127.0.0.1:41234`. */
  webSockets?: string[];
  /** A `<meta>` policy cannot carry `frame-ancestors` (browsers ignore it there, with a warning). */
  meta?: boolean;
}

export function contentSecurityPolicy(options: PolicyOptions = {}): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    ["connect-src 'self'", ...(options.webSockets ?? [])].join(' '),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    ...(options.meta ? [] : ["frame-ancestors 'none'"]),
  ].join('; ');
}

const META_POLICY = /(<meta\s+http-equiv="Content-Security-Policy"\s+content=")[^"]*(")/i;

/** The page with its `<meta>` policy replaced by `policy` (which must hold no double quote). */
export function withMetaPolicy(html: string, policy: string): string {
  return html.replace(META_POLICY, (_match, before: string, after: string) => `${before}${policy}${after}`);
}
