import { connect } from 'node:net';

export interface RawAnswer {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends `request` byte for byte over a fresh TCP connection and reads the one answer, for what
 * fetch will not send (a header over the size limit, a malformed request line). Resolves when
 * the server closes the connection or the answer is complete per its Content-Length.
 */
export function rawRequest(url: string, request: string | Buffer): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = () => {
      if (settled) return;
      const answer = parseAnswer(Buffer.concat(chunks));
      if (!answer) return;
      settled = true;
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(10_000, () => {
      socket.destroy();
      if (!settled) reject(new Error('no complete answer within 10 s'));
    });
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      finish();
    });
    // The server may reset the connection after answering (it destroys sockets that erred).
    socket.on('error', () => finish());
    socket.on('close', () => {
      finish();
      if (!settled) reject(new Error('the connection closed without a complete answer'));
    });
    socket.write(request);
  });
}

function parseAnswer(bytes: Buffer): RawAnswer | null {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine = '', ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = bytes.subarray(end + 4);
  const length = Number(headers['content-length']);
  if (!Number.isFinite(length) || body.length < length) return null;
  return { status, headers, body: body.subarray(0, length).toString('utf8') };
}
