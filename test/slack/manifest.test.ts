import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { CALLBACKS, COMMAND } from '../../src/slack/ids.js';

const manifest = readFileSync(new URL('../../manifest.yml', import.meta.url), 'utf8');
const SLACK_SOURCE = fileURLToPath(new URL('../../src/slack/', import.meta.url));

/**
 * The bot scope each Web API method the app calls needs, from Slack's method reference
 * (https://docs.slack.dev/reference/methods/…). views.* need none. files.uploadV2 is the SDK's
 * files.getUploadURLExternal + files.completeUploadExternal, both files:write. A method missing
 * here fails the test below, so a new call cannot ship without its scope being decided.
 */
const SCOPE_OF_METHOD: Record<string, string | string[] | null> = {
  'chat.postMessage': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'chat.update': 'chat:write',
  'conversations.open': 'im:write',
  // The share picker's membership check; public channels need channels:read, private ones
  // groups:read (https://docs.slack.dev/apis/web-api/using-the-conversations-api).
  'conversations.info': ['channels:read', 'groups:read'],
  'files.uploadV2': 'files:write',
  // https://docs.slack.dev/reference/methods/files.delete (bot: files:write)
  'files.delete': 'files:write',
  'views.open': null,
  'views.update': null,
  'views.publish': null,
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every `client.family.method(` in the Slack code. */
function calledMethods(): Set<string> {
  const methods = new Set<string>();
  for (const file of sourceFiles(SLACK_SOURCE)) {
    for (const match of readFileSync(file, 'utf8').matchAll(/client\.(\w+)\.(\w+)\(/g)) {
      methods.add(`${match[1]}.${match[2]}`);
    }
  }
  return methods;
}

function botScopes(): string[] {
  const list = /bot:\n((?:\s+- [^\n]+\n)+)/.exec(manifest)?.[1] ?? '';
  return [...list.matchAll(/- ([\w:.]+)/g)].map((m) => String(m[1])).sort();
}

it('declares what the app listens to: the command, the shortcut, interactivity and the home event', () => {
  expect(manifest).toContain(`command: ${COMMAND}`);
  expect(manifest).toContain(`callback_id: ${CALLBACKS.createShortcut}`);
  expect(manifest).toMatch(/interactivity:\n\s+is_enabled: true/);
  expect(manifest).toMatch(/bot_events:\n\s+- app_home_opened/);
  expect(manifest).toMatch(/home_tab_enabled: true/);
  expect(manifest).toMatch(/should_escape: true/);
});

it('asks for exactly the bot scopes that the Web API calls need, and `commands`', () => {
  const methods = [...calledMethods()];
  expect(methods).toContain('chat.postMessage');
  const unknown = methods.filter((m) => !(m in SCOPE_OF_METHOD));
  expect(unknown, 'a Web API method whose scope is not decided yet').toEqual([]);
  const needed = new Set(['commands']);
  for (const method of methods) {
    for (const scope of [SCOPE_OF_METHOD[method] ?? []].flat()) needed.add(scope);
  }
  expect(botScopes()).toEqual([...needed].sort());
  expect(botScopes()).not.toContain('users:read');
});

it('sends every Slack request, the picker’s options too, to the one endpoint the service serves', () => {
  const urls = [...manifest.matchAll(/(?:url|request_url): (\S+)/g)].map((m) => m[1]);
  expect(urls).toHaveLength(4);
  for (const url of urls) expect(url).toMatch(/\/slack\/events$/);
  expect(manifest).toMatch(/message_menu_options_url: \S+\/slack\/events/);
});
