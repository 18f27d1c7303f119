import { createServer } from 'node:http';
import { Redis } from 'ioredis';

/**
 * The floor: a bare node:http server that reads and parses the same JSON body as a redemption
 * and answers a JSON body of the same size as a redemption's answer (ANSWER_BYTES). Whatever
 * installcode adds (routing, validation, Redis) is measured against this, on the same machine,
 * in the same run.
 *
 * With REDIS_URL it is the minimal prototype instead: the same, plus one Lua
 * check-and-count per request (ioredis, auto-pipelining), the least a counted redemption costs.
 */
const answerBytes = Number(process.env.ANSWER_BYTES ?? 300);
const redis = process.env.REDIS_URL
  ? new Redis(process.env.REDIS_URL, { enableAutoPipelining: true })
  : null;
const COUNT = `local used = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
if used >= tonumber(ARGV[1]) then return -1 end
return redis.call('HINCRBY', KEYS[1], 'n', 1)`;
redis?.defineCommand('countUse', { numberOfKeys: 1, lua: COUNT });
const countUse = (key: string) =>
  (redis as unknown as { countUse(k: string, l: number): Promise<number> }).countUse(key, 1e9);

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', async () => {
    let body: { code?: string };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400).end();
      return;
    }
    const used = redis ? await countUse(`prototype:{${body.code}}`) : 0;
    res.writeHead(200, { 'content-type': 'application/json' });
    const answer = JSON.stringify({ ok: true, used, pad: '' });
    res.end(
      answer.replace('"pad":""', `"pad":"${'x'.repeat(Math.max(0, answerBytes - answer.length))}"`),
    );
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
