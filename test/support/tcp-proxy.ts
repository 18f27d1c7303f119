import { connect, createServer, type Server, type Socket } from 'node:net';

/** What a drop saw: the client→server chunk that carried the script, and the reply kept from the client. */
export interface DropReport {
  /** The chunk (RESP, as latin1 text) that carried EVAL/EVALSHA to the server. */
  request: string;
  /** The first reply bytes the server sent afterwards, never relayed ('' when none came in time). */
  reply: string;
}

export interface TcpProxy {
  /** `redis://127.0.0.1:PORT`: give this to the app instead of the server's own URL. */
  url: string;
  port: number;
  /** Connections accepted so far (a reconnect shows up as one more). */
  readonly accepted: number;
  /**
   * Arms a drop: the next client→server chunk that contains EVAL or EVALSHA (after skipping
   * `skip` such chunks) is forwarded to the server; then, as soon as the server answers (or after
   * `waitForReplyMs` without an answer), both sides of that connection are destroyed without
   * relaying the answer. With `refuseForMs`, the proxy also stops listening at that moment, so
   * that reconnects are refused (ECONNREFUSED, as with Redis down) until it listens again on the
   * same port. Resolves with what was seen once the connection is gone.
   */
  dropAfterNextScript(options?: DropOptions): Promise<DropReport>;
  /**
   * Holds back what the server sends on the connection that carries the next script (not
   * `ignore`d, after `skip` such scripts) for `holdMs` from that script, then relays it in order:
   * a reply that comes late (Redis stalled after running it). Resolves once relayed.
   */
  holdReplyAfterNextScript(options: {
    holdMs: number;
    skip?: number;
    ignore?: (request: string) => boolean;
  }): Promise<void>;
  /** Cancels an armed drop that has not cut yet (its promise then never settles). */
  disarm(): void;
  close(): Promise<void>;
}

/** RESP names the command as a bulk string: `$4\r\neval\r\n` or `$7\r\nevalsha\r\n` (any case). */
const SCRIPT_COMMAND = /\$(?:4\r\neval|7\r\nevalsha)\r\n/gi;

/**
 * Each script command a chunk carries, from its name to the next one: auto-pipelining may send
 * an operation's script in the same chunk as a background script, and only the latter is ignored.
 */
function scriptsIn(text: string): string[] {
  const starts = [...text.matchAll(SCRIPT_COMMAND)].map((match) => match.index);
  return starts.map((start, i) => text.slice(start, starts[i + 1]));
}

export interface DropOptions {
  /** Script-carrying chunks to let through before the one that is cut (default 0). */
  skip?: number;
  /** How long to wait for the server's answer before cutting anyway (default 1000). */
  waitForReplyMs?: number;
  /** Refuse new connections for this long after the cut (default 0: reconnects go through). */
  refuseForMs?: number;
  /** Scripts that neither count nor get cut (the service's background work), by their request. */
  ignore?: (request: string) => boolean;
}

interface Armed extends Required<DropOptions> {
  resolve: (report: DropReport) => void;
}

/** A small TCP proxy on loopback between the app and a server, which can cut a connection on cue. */
export async function startTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  const host = target.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  let armed: Armed | null = null;
  let armedHold: {
    holdMs: number;
    skip: number;
    ignore: (request: string) => boolean;
    resolve: () => void;
  } | null = null;
  let accepted = 0;
  let port = 0;

  const reopening = new Set<NodeJS.Timeout>();
  /** Stops listening for a while (new connections are refused), then listens on the same port. */
  const refuse = (ms: number) => {
    if (ms <= 0 || !server.listening) return;
    server.close();
    const reopen = setTimeout(() => {
      server.listen(port, '127.0.0.1');
      reopening.delete(reopen);
    }, ms);
    reopening.add(reopen);
  };

  const server: Server = createServer((client) => {
    accepted += 1;
    const upstream = connect({ host, port: target.port });
    sockets.add(client);
    sockets.add(upstream);
    let dropping: {
      request: string;
      refuseForMs: number;
      resolve: (report: DropReport) => void;
    } | null = null;
    let dropTimer: NodeJS.Timeout | undefined;
    /** Server data held back (holdReplyAfterNextScript) until its timer relays it. */
    let held: Buffer[] | null = null;

    const destroyBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    const drop = (reply: string) => {
      const pending = dropping;
      if (!pending) return;
      dropping = null;
      clearTimeout(dropTimer);
      refuse(pending.refuseForMs);
      destroyBoth();
      // Resolve only once the app's side is really closed.
      if (client.closed) pending.resolve({ request: pending.request, reply });
      else client.once('close', () => pending.resolve({ request: pending.request, reply }));
    };

    client.on('data', (chunk: Buffer) => {
      if (dropping) return; // the connection is about to go: nothing more reaches the server
      const text = chunk.toString('latin1');
      upstream.write(chunk);
      const hold = armedHold;
      const holdsThis =
        hold &&
        !held &&
        scriptsIn(text).some((script) => !hold.ignore(script)) &&
        hold.skip-- === 0;
      if (hold && holdsThis) {
        armedHold = null;
        const queue: Buffer[] = [];
        held = queue;
        setTimeout(() => {
          held = null;
          for (const data of queue) if (!client.destroyed) client.write(data);
          hold.resolve();
        }, hold.holdMs);
      }
      if (armed && scriptsIn(text).some((script) => !armed?.ignore(script))) {
        if (armed.skip > 0) {
          armed.skip -= 1;
          return;
        }
        const { resolve, waitForReplyMs, refuseForMs } = armed;
        armed = null;
        dropping = { request: text, refuseForMs, resolve };
        dropTimer = setTimeout(() => drop(''), waitForReplyMs);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (dropping) drop(chunk.toString('latin1'));
      else if (held) held.push(chunk);
      else if (!client.destroyed) client.write(chunk);
    });
    const forget = (socket: Socket) => () => {
      sockets.delete(socket);
      destroyBoth();
    };
    client.on('close', forget(client));
    upstream.on('close', forget(upstream));
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as { port: number }).port;

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get accepted() {
      return accepted;
    },
    dropAfterNextScript: ({
      skip = 0,
      waitForReplyMs = 1_000,
      refuseForMs = 0,
      ignore = () => false,
    } = {}) =>
      new Promise<DropReport>((resolve) => {
        armed = { skip, waitForReplyMs, refuseForMs, ignore, resolve };
      }),
    holdReplyAfterNextScript: ({ holdMs, skip = 0, ignore = () => false }) =>
      new Promise<void>((resolve) => {
        armedHold = { holdMs, skip, ignore, resolve };
      }),
    disarm: () => {
      armed = null;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of reopening) clearTimeout(timer);
        reopening.clear();
        for (const socket of sockets) socket.destroy();
        if (server.listening) server.close(() => resolve());
        else resolve();
      }),
  };
}
