/**
 * The security headers of every answer: those the OWASP REST Security Cheat Sheet asks of a JSON
 * API ("Security Headers"), and two that keep browsers from using an answer across sites. The API
 * serves no pages, so what only protects a page (helmet's Cross-Origin-Opener-Policy,
 * Origin-Agent-Cluster, X-DNS-Prefetch-Control, X-Download-Options,
 * X-Permitted-Cross-Domain-Policies, X-XSS-Protection) is left out: each header is work on every
 * answer. Written once, as one object; `Cache-Control: no-store` is added where they are used.
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  // Nothing may load, run or frame an answer, should a browser ever render one.
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  // Answers are what their Content-Type says, never sniffed into something that runs.
  'x-content-type-options': 'nosniff',
  // Behind TLS (a proxy in front), browsers keep to HTTPS for a year.
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  // Another site cannot embed an answer (a redemption's device token) with no-cors requests.
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
});

export function securityHeaders(): Record<string, string> {
  return { ...SECURITY_HEADERS };
}
