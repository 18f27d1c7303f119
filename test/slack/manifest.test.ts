import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { CALLBACKS, COMMAND } from '../../src/slack/ids.js';

const manifest = readFileSync(new URL('../../manifest.yml', import.meta.url), 'utf8');

it('declares what the app listens to: the command, the shortcut, interactivity and the home event', () => {
  expect(manifest).toContain(`command: ${COMMAND}`);
  expect(manifest).toContain(`callback_id: ${CALLBACKS.createShortcut}`);
  expect(manifest).toMatch(/interactivity:\n\s+is_enabled: true/);
  expect(manifest).toMatch(/bot_events:\n\s+- app_home_opened/);
  expect(manifest).toMatch(/home_tab_enabled: true/);
  expect(manifest).toMatch(/should_escape: true/);
});

it('asks for every bot scope that the Web API calls need', () => {
  for (const scope of [
    'commands',
    'chat:write',
    'files:write',
    'im:write',
    'users:read',
    'channels:read',
    'groups:read',
  ]) {
    expect(manifest).toMatch(new RegExp(`- ${scope}\\b`));
  }
});

it('sends every Slack request to the one endpoint the service serves', () => {
  const urls = [...manifest.matchAll(/(?:url|request_url): (\S+)/g)].map((m) => m[1]);
  expect(urls).toHaveLength(3);
  for (const url of urls) expect(url).toMatch(/\/slack\/events$/);
});
