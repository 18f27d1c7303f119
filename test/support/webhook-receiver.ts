import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedEvent {
  id: string;
  type: string;
  at: string;
  by: string;
  code: Record<string, unknown> & { id: string; code: string; timesUsed: number; status: string };
  changes?: { field: string; from: unknown; to: unknown }[];
  redemption?: { accountId: string | null; deviceId: string; device: Record<string, string> };
  withdrawnEventId?: string;
}

export interface WebhookReceiver {
  url: string;
  /** Events answered 2xx, in the order they arrived. */
  delivered: ReceivedEvent[];
  /** Every attempt per event ID, including failed ones. */
  attempts: Map<string, number>;
  /** Requests whose signature did not verify (answered 400). */
  badSignatures: number;
  /** Deliveries whose Installcode-Event-Id header did not name the event in the body. */
  badEventIds: number;
  /** Attempts left unanswered (`answer` said 'hang'), so far. */
  hung: number;
  /** Resolves once `count` events were delivered (bounded by `timeoutMs`). */
  waitForDeliveries(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A webhook receiver on loopback, as an integrator writes one: it checks the signature as the
 * README's example does (HMAC-SHA256 of "t.body", compared in constant time, t within 5 minutes),
 * and answers 500 to the first `failFirst` attempts of each event (always, with Infinity).
 * `answer`, when given, decides each verified attempt past those instead (by its event, say its
 * code): 'deliver' (204), 'fail' (500), or 'hang' (the request is read and never answered, until
 * the sender gives up or the receiver closes).
 */
export type ReceiverAnswer = 'deliver' | 'fail' | 'hang';

export async function startWebhookReceiver(
  secret: string,
  options: {
    failFirst?: number;
    answer?: (event: ReceivedEvent, attempt: number) => ReceiverAnswer;
  } = {},
): Promise<WebhookReceiver> {
  const failFirst = options.failFirst ?? 0;
  const delivered: ReceivedEvent[] = [];
  const attempts = new Map<string, number>();
  const waiters = new Set<() => void>();
  const receiver = { badSignatures: 0, badEventIds: 0, hung: 0 };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (!verified(String(req.headers['installcode-signature'] ?? ''), body, secret)) {
        receiver.badSignatures += 1;
        res.writeHead(400).end();
        return;
      }
      const event = JSON.parse(body) as ReceivedEvent;
      if (req.headers['installcode-event-id'] !== event.id) receiver.badEventIds += 1;
      const attempt = (attempts.get(event.id) ?? 0) + 1;
      attempts.set(event.id, attempt);
      if (attempt <= failFirst) {
        res.writeHead(500).end('not now');
        return;
      }
      const answer = options.answer?.(event, attempt) ?? 'deliver';
      if (answer === 'hang') {
        receiver.hung += 1;
        return;
      }
      if (answer === 'fail') {
        res.writeHead(500).end('not now');
        return;
      }
      delivered.push(event);
      res.writeHead(204).end();
      for (const wake of waiters) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/hooks/installcode`,
    delivered,
    attempts,
    get badSignatures() {
      return receiver.badSignatures;
    },
    get badEventIds() {
      return receiver.badEventIds;
    },
    get hung() {
      return receiver.hung;
    },
    async waitForDeliveries(count, timeoutMs = 60_000) {
      if (delivered.length >= count) return;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`${delivered.length} of ${count} events delivered in ${timeoutMs} ms`));
        }, timeoutMs);
        const wake = () => {
          if (delivered.length < count) return;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve();
        };
        waiters.add(wake);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The README's check, written out independently of the service's signing code. */
function verified(header: string, body: string, secret: string): boolean {
  const parts = Object.fromEntries(header.split(',').map((part) => part.split('=', 2)));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > 300 || !parts.v1) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
