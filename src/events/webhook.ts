import { type InstallcodeEvent, signatureOf } from './event.js';

export interface WebhookTarget {
  url: string;
  secret: string;
  /** How long one attempt may take before it counts as failed. */
  timeoutMs: number;
}

export interface DeliveryAttempt {
  ok: boolean;
  /** The receiver's HTTP status, when it answered. */
  status?: number;
  /** Why it failed without an answer (refused, timed out…). */
  error?: string;
  ms: number;
}

/** One POST of one event, signed; any 2xx answer is a delivery, anything else a failure. */
export async function postEvent(
  target: WebhookTarget,
  event: InstallcodeEvent,
  unixSeconds: number,
): Promise<DeliveryAttempt> {
  const body = JSON.stringify(event);
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const response = await fetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'installcode-webhook',
        'installcode-event-id': event.id,
        'installcode-signature': signatureOf(body, target.secret, unixSeconds),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(target.timeoutMs),
    });
    // The body is not read: drop it, so the connection can be reused.
    await response.body?.cancel().catch(() => undefined);
    return { ok: response.ok, status: response.status, ms: elapsed() };
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause;
    return { ok: false, error: cause?.message ?? (error as Error).message, ms: elapsed() };
  }
}
