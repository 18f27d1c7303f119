import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

/** We ship Node 24 (Dockerfile) and test on it; Node 20 is past its end of life. */
it('runs the tests on the Node the image ships, and asks for a supported one', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  const shipped = /ARG NODE_VERSION=(\d+)/.exec(dockerfile)?.[1];
  expect(shipped).toBe('24');
  const running = Number(process.versions.node.split('.')[0]);
  expect(running).toBeGreaterThanOrEqual(22);
  // CI (.ci/run) tests on what we ship; a newcomer may run the suite on Node 22 too.
  if (process.env.CI) expect(String(running)).toBe(shipped);
  const { engines } = JSON.parse(readFileSync('package.json', 'utf8')) as {
    engines: { node: string };
  };
  expect(engines.node).toBe('>=22');
});
