/** Every refusal the service gives, by a stable string that maps to one HTTP status and one Slack message. */
export type CodeErrorKind =
  | 'invalid_request'
  | 'code_not_found'
  | 'device_not_found'
  | 'code_expired'
  | 'code_used_up'
  | 'code_disabled'
  | 'code_taken'
  | 'version_conflict'
  | 'idempotency_key_reused'
  | 'rate_limited'
  | 'unavailable';

export type FieldErrors = Record<string, string>;

export class CodeError extends Error {
  constructor(
    readonly kind: CodeErrorKind,
    message: string,
    readonly fields?: FieldErrors,
  ) {
    super(message);
    this.name = 'CodeError';
  }
}

export const DEFAULT_MESSAGES: Record<CodeErrorKind, string> = {
  invalid_request: 'The request is not valid.',
  code_not_found: 'No such installation code.',
  device_not_found: 'No such device, or its token was revoked already.',
  code_expired: 'This installation code has expired.',
  code_used_up: 'This installation code has been used up.',
  code_disabled: 'This installation code is disabled.',
  code_taken: 'Another installation code is already written this way.',
  version_conflict: 'Someone else changed this code in the meantime. Reload it and try again.',
  idempotency_key_reused:
    'This Idempotency-Key was already used with another code. Use a new key for each redemption.',
  rate_limited: 'Too many attempts with unknown codes. Try again later.',
  unavailable: 'The service is unavailable right now. Try again shortly.',
};

export function codeError(kind: CodeErrorKind, fields?: FieldErrors): CodeError {
  return new CodeError(kind, DEFAULT_MESSAGES[kind], fields);
}
