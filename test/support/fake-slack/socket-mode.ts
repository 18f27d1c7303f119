/**
 * Socket Mode: the WebSocket end of the fake, on the same port as the Web API.
 * `apps.connections.open`, called with the app-level token, hands out a one-time URL
 * (`/socket?ticket=…`); the app connects, gets Slack's `hello`, and from then on `send(envelope)`
 * delivers envelopes as Slack does and `acks` records the app's acknowledgements
 * (https://api.slack.com/socket-mode, https://docs.slack.dev/reference/methods/apps.connections.open).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { asRecord } from './http.js';
import {
  FAKE_APP_ID,
  type FakeSlackSocket,
  type FakeSocketAck,
  type FakeSocketConnection,
  SOCKET_PATH,
} from './types.js';
import type { Waiters } from './waiters.js';

/** How often the fake pings each Socket Mode connection, as Slack's servers do. */
const SOCKET_PING_INTERVAL_MS = 10_000;
/** How long `close()` lets an app answer the close frame before cutting its socket. */
const SOCKET_CLOSE_GRACE_MS = 1_000;

/** A connection with what only the fake needs. */
interface LiveSocket {
  info: FakeSocketConnection;
  ws: WebSocket;
  pinger: NodeJS.Timeout;
  /** Resolves when the socket has closed. */
  ended: Promise<void>;
  /** Set when the fake started the close (`close()`). */
  closingByFake: boolean;
}

export interface SocketMode {
  socket: FakeSlackSocket;
  /** What apps.connections.open hands out: a one-time URL for this app-level token. */
  issueUrl(appToken: string): string;
  /** Forgets acks, messages, refusals and closed connections; an open connection stays. */
  reset(): void;
  /** Closes every open connection (close frame 1001, then cut) and the WebSocket server. */
  close(): Promise<void>;
}

export function createSocketMode(
  server: Server,
  deps: {
    waiters: Waiters;
    next: () => number;
    baseUrl: () => string;
    /** How many times apps.connections.open was called, for a timeout's message. */
    opens: () => number;
  },
): SocketMode {
  const { waiters, next } = deps;
  const notify = () => waiters.notify();
  const waitFor = waiters.waitFor;
  const tickets = new Map<string, string>();
  const connections: FakeSocketConnection[] = [];
  const live = new Map<FakeSocketConnection, LiveSocket>();
  const acks: FakeSocketAck[] = [];
  const received: unknown[] = [];
  const refused: { url: string }[] = [];
  const sentAt = new Map<string, number>();
  const pongs: string[] = [];
  let connectionCount = 0;

  // Socket Mode: a WebSocket on the same port, for the one-time tickets apps.connections.open hands out.
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const ticket = url.searchParams.get('ticket') ?? '';
    const appToken = tickets.get(ticket);
    if (url.pathname !== SOCKET_PATH || appToken === undefined) {
      refused.push({ url: req.url ?? '' });
      notify();
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    tickets.delete(ticket);
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, appToken, req.url ?? ''));
  });

  function accept(ws: WebSocket, appToken: string, url: string): void {
    const info: FakeSocketConnection = { id: ++connectionCount, appToken, url };
    const pinger = setInterval(() => ws.ping(), SOCKET_PING_INTERVAL_MS);
    pinger.unref();
    let ended: () => void = () => undefined;
    const entry: LiveSocket = {
      info,
      ws,
      pinger,
      ended: new Promise<void>((resolve) => {
        ended = resolve;
      }),
      closingByFake: false,
    };
    live.set(info, entry);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return;
      let message: unknown;
      try {
        message = JSON.parse(rawText(data));
      } catch {
        message = rawText(data);
      }
      received.push(message);
      const record = asRecord(message);
      if (record && typeof record.envelope_id === 'string') {
        const ack: FakeSocketAck = {
          envelope_id: record.envelope_id,
          connection: info.id,
          receivedAt: performance.now(),
        };
        const payload = asRecord(record.payload);
        if (payload) ack.payload = payload;
        acks.push(ack);
      }
      notify();
    });
    ws.on('pong', (data: Buffer) => {
      pongs.push(data.toString('utf8'));
      notify();
    });
    ws.on('error', () => undefined);
    ws.on('close', (code: number, reason: Buffer) => {
      clearInterval(pinger);
      live.delete(info);
      info.closed = {
        code,
        reason: reason.toString('utf8'),
        by: entry.closingByFake ? 'fake' : 'app',
      };
      ended();
      notify();
    });
    connections.push(info);
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: live.size,
        debug_info: {
          host: 'applink-fake-0',
          build_number: 1,
          approximate_connection_time: 18060,
        },
        connection_info: { app_id: FAKE_APP_ID },
      }),
    );
    notify();
  }

  /** The newest open connection. */
  const openSocket = (): LiveSocket | undefined => {
    for (let i = connections.length - 1; i >= 0; i--) {
      const socket = live.get(connections[i] as FakeSocketConnection);
      if (socket && socket.ws.readyState === socket.ws.OPEN) return socket;
    }
    return undefined;
  };
  const mustBeOpen = (): LiveSocket => {
    const socket = openSocket();
    if (!socket) throw new Error('fake Slack: no Socket Mode connection is open');
    return socket;
  };

  async function closeSockets(): Promise<void> {
    const open = [...live.values()];
    for (const s of open) {
      s.closingByFake = true;
      s.ws.close(1001, 'fake Slack closing');
    }
    await Promise.all(
      open.map((s) =>
        Promise.race([
          s.ended,
          new Promise<void>((resolve) => setTimeout(resolve, SOCKET_CLOSE_GRACE_MS).unref()),
        ]),
      ),
    );
    for (const s of open) {
      clearInterval(s.pinger);
      s.ws.terminate();
    }
  }

  const socket: FakeSlackSocket = {
    connections,
    acks,
    received,
    refused,
    connected: (timeoutMs = 5000) =>
      waitFor(
        connections,
        (c) => c.closed === undefined && live.has(c),
        timeoutMs,
        () =>
          `a Socket Mode connection; apps.connections.open called ${deps.opens()} time(s), ${
            connections.length
          } connection(s), ${refused.length} refused`,
      ),
    isConnected: () => openSocket() !== undefined,
    send: (envelope) => {
      const open = mustBeOpen();
      const envelopeId = envelope.envelope_id ?? `env-${next()}`;
      sentAt.set(envelopeId, performance.now());
      open.ws.send(JSON.stringify({ ...envelope, envelope_id: envelopeId }));
      return envelopeId;
    },
    waitForAck: (envelopeId, timeoutMs = 5000) =>
      waitFor(
        acks,
        (a) => a.envelope_id === envelopeId,
        timeoutMs,
        () =>
          `the ack of envelope ${envelopeId}; acked: ${acks.map((a) => a.envelope_id).join(', ') || 'nothing'}`,
      ),
    ackDelayMs: (envelopeId) => {
      const sent = sentAt.get(envelopeId);
      const ack = acks.find((a) => a.envelope_id === envelopeId);
      return sent === undefined || ack === undefined ? undefined : ack.receivedAt - sent;
    },
    waitForClose: async (connection, timeoutMs = 5000) => {
      const target = connection ?? connections.at(-1);
      if (!target) throw new Error('fake Slack: no Socket Mode connection was ever made');
      const done = await waitFor(
        connections,
        (c) => c === target && c.closed !== undefined,
        timeoutMs,
        () => `Socket Mode connection ${target.id} to close`,
      );
      return done.closed as NonNullable<FakeSocketConnection['closed']>;
    },
    disconnect: (reason = 'refresh_requested') => {
      mustBeOpen().ws.send(
        JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-fake-0' } }),
      );
    },
    ping: async (timeoutMs = 5000) => {
      const open = mustBeOpen();
      const payload = `fake-ping-${next()}`;
      const pong = waitFor(
        pongs,
        (p) => p === payload,
        timeoutMs,
        () => `the pong of ${payload}`,
      );
      open.ws.ping(payload);
      await pong;
    },
  };

  return {
    socket,
    issueUrl(appToken) {
      const ticket = randomUUID();
      tickets.set(ticket, appToken);
      return `${deps.baseUrl().replace(/^http/, 'ws')}${SOCKET_PATH}?ticket=${ticket}&app_id=${FAKE_APP_ID}`;
    },
    reset() {
      acks.length = 0;
      received.length = 0;
      refused.length = 0;
      sentAt.clear();
      pongs.length = 0;
      const stillOpen = connections.filter((c) => c.closed === undefined);
      connections.length = 0;
      connections.push(...stillOpen);
    },
    async close() {
      await closeSockets();
      wss.close();
    },
  };
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}
