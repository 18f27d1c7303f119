/**
 * What Slack sent lacks something a listener needs: a payload Slack itself would not send, or
 * one that was altered. The message says what, in the words of the person who is told.
 */
export class MalformedPayload extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'MalformedPayload';
  }
}

/** A JSON object we wrote into a payload (private_metadata, a button's value), read back. */
export function jsonObjectIn(text: string | undefined, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text || '{}');
  } catch {
    throw new MalformedPayload(what);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new MalformedPayload(what);
  }
  return parsed as Record<string, unknown>;
}

/** `view.state.values` of a submitted or acted-on view; Slack always sends it, if only empty. */
export function stateValuesOf<T>(view: { state?: { values?: unknown } } | undefined): T {
  const values = view?.state?.values;
  if (typeof values !== 'object' || values === null) {
    throw new MalformedPayload('the form’s values were missing');
  }
  return values as T;
}
