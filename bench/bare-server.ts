import { createServer } from 'node:http';

/**
 * The floor: a bare node:http server that reads and parses the same JSON body as a redemption
 * and answers a JSON body of the same size as a redemption's answer (ANSWER_BYTES). Whatever
 * installcode adds (routing, validation, Redis) is measured against this, on the same machine,
 * in the same run.
 */
const answerBytes = Number(process.env.ANSWER_BYTES ?? 300);
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let body: { code?: string };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    const answer = JSON.stringify({ ok: true, code: body.code?.length ?? 0, pad: '' });
    res.end(
      answer.replace('"pad":""', `"pad":"${'x'.repeat(Math.max(0, answerBytes - answer.length))}"`),
    );
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
