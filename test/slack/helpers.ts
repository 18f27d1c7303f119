/**
 * Shared pieces of the Slack end-to-end tests: a sender that times every request (Slack gives an
 * app 3 seconds to answer), readers of the views and messages the app sends, and small waits.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect, vi } from 'vitest';
import type { CodeInput } from '../../src/codes/rules.js';
import type { CodeService } from '../../src/use-cases/code-service.js';
import type { FakeSlack, FakeSlackResponse, FakeSlackView } from '../support/fake-slack.js';
import { field, type SlackSender, type StateValues } from '../support/slack-requests.js';
import { type SlackHarness, startSlackHarness } from '../support/slack-service.js';

/** Slack drops an answer that takes longer than this. */
export const ACK_LIMIT_MS = 3000;

/**
 * The same sender, but each request's HTTP round trip is measured and must come back well inside
 * Slack's 3 seconds, whatever the listener does afterwards.
 */
export function timedSender(slack: SlackSender): SlackSender {
  const time =
    <A extends unknown[], R>(what: string, send: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const started = performance.now();
      const result = await send(...args);
      const ms = performance.now() - started;
      expect(ms, `${what} must be answered within 3 s`).toBeLessThan(ACK_LIMIT_MS);
      return result;
    };
  return {
    ...slack,
    command: time('command', slack.command),
    blockAction: time('block action', slack.blockAction),
    viewSubmission: time('view submission', slack.viewSubmission),
    viewSubmissionAnswer: time('view submission', slack.viewSubmissionAnswer),
    viewClosed: time('view closed', slack.viewClosed),
    shortcut: time('shortcut', slack.shortcut),
    event: time('event', slack.event),
    raw: time('raw request', slack.raw),
  };
}

export const CODE_FORMAT = /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Long enough for a listener that acked to have done its work: used before asserting that
 * something did not happen.
 */
export const settle = () => sleep(400);

/** Retries `check` until it passes (for work a listener does after it acked). */
export function eventually<T>(check: () => T | Promise<T>): Promise<T> {
  return vi.waitFor(check, { timeout: 5000, interval: 25 });
}

/** Removes every code, so each test starts from an empty store. */
export async function clearCodes(store: CodeService) {
  for (;;) {
    const page = await store.listCodes({ limit: 100 });
    if (page.codes.length === 0) return;
    for (const code of page.codes) await store.deleteCode(code);
  }
}

export const GROUP: CodeInput = { action: 'create_account_and_device', usernamePrefix: 'acme-' };

/** A button, an overflow menu or another interactive element of a block. */
interface Element {
  action_id?: string;
  value?: string;
  text?: { text: string };
  options?: { value: string }[];
}

interface Block {
  type: string;
  block_id?: string;
  label?: { text: string };
  text?: { text: string };
  accessory?: Element;
  elements?: Element[];
  element?: {
    type?: string;
    action_id?: string;
    initial_value?: string;
    initial_date_time?: number;
    initial_option?: { value: string };
  };
}

export function blocksOf(holder: { blocks?: unknown } | undefined): Block[] {
  return (holder?.blocks ?? []) as Block[];
}

export function blockIds(view: FakeSlackView): string[] {
  return blocksOf(view).map((b) => b.block_id ?? '');
}

export function block(view: FakeSlackView, blockId: string): Block {
  const found = blocksOf(view).find((b) => b.block_id === blockId);
  if (!found) throw new Error(`no block ${blockId} in the view: ${blockIds(view).join(', ')}`);
  return found;
}

/** The editor's code block id (`code.N`). */
export function codeBlockOf(view: FakeSlackView): string {
  const id = blockIds(view).find((b) => b.startsWith('code'));
  if (!id) throw new Error('the editor has no code block');
  return id;
}

export function initialCode(view: FakeSlackView): string | undefined {
  return block(view, codeBlockOf(view)).element?.initial_value;
}

/** The buttons of a message, by action ID. */
export function buttons(holder: { blocks?: unknown } | undefined): Element[] {
  return blocksOf(holder).flatMap((b) => [
    ...(b.elements ?? []),
    ...(b.accessory ? [b.accessory] : []),
  ]);
}

export function button(holder: { blocks?: unknown } | undefined, actionId: string) {
  return buttons(holder).find((b) => b.action_id === actionId);
}

/** The overflow menus of a list or App Home: one per code. */
export function codeMenus(holder: { blocks?: unknown } | undefined) {
  return blocksOf(holder)
    .map((b) => b.accessory)
    .filter((a) => a?.action_id === 'code_menu');
}

/** The record IDs the menus of a list or App Home name. */
export function listedIds(holder: { blocks?: unknown } | undefined): string[] {
  return codeMenus(holder).map((menu) => String(menu?.options?.[0]?.value.split(':')[1]));
}

export const textOf = (value: unknown) => JSON.stringify(value);

/** The view as Slack would hold it after the person typed `values` into it. */
export function typed(view: FakeSlackView, values: StateValues) {
  return { ...view, callback_id: String(view.callback_id), state: { values } };
}

export interface EditorEntry {
  description?: string | null;
  code?: string | null;
  /** "Expires after": `1d` … `90d`, `date` or `never`; by default `date` when expiresAt is given, else `never`. */
  expiry?: string | null;
  expiresAt?: number | null;
  usageLimit?: string | null;
  usageLimitDelay?: string | null;
  action?: string | null;
  target?: string | null;
}

/** The editor's state values as Slack sends them, for the editor `view` (its code block id). */
export function editorValues(view: FakeSlackView, entry: EditorEntry): StateValues {
  const expiry =
    entry.expiry === undefined ? (entry.expiresAt != null ? 'date' : 'never') : entry.expiry;
  const values: StateValues = {
    description: { value: field.text(entry.description ?? null) },
    [codeBlockOf(view)]: { value: field.text(entry.code ?? null) },
    expires_at: { editor_choose_expiry: field.select(expiry) },
    usage_limit: { value: field.number(entry.usageLimit ?? null) },
    usage_limit_delay: { value: field.text(entry.usageLimitDelay ?? null) },
    action: { editor_choose_action: field.radio(entry.action ?? null) },
  };
  if (expiry === 'date') {
    values.expires_on = { value: field.dateTime(entry.expiresAt ?? null) };
  }
  if (entry.action) values[`target.${entry.action}`] = { value: field.text(entry.target ?? null) };
  return values;
}

/** The response_url POST made for `id` that satisfies `predicate`. */
export function responseTo(
  fake: FakeSlack,
  id: string | undefined,
  predicate: (r: FakeSlackResponse) => boolean = () => true,
) {
  return fake.waitForResponse((r) => r.id === id && predicate(r));
}

/**
 * A harness for the whole test file, started once: each test starts with no codes, and with the
 * fake's record of calls forgotten after it. `use` receives the harness and a timed sender.
 */
export function useSlackHarness(use: (harness: SlackHarness, slack: SlackSender) => void): void {
  let harness: SlackHarness;
  beforeAll(async () => {
    harness = await startSlackHarness();
    use(harness, timedSender(harness.slack));
  });
  afterAll(() => harness.close());
  beforeEach(() => clearCodes(harness.service.codes));
  afterEach(() => harness.fake.reset());
}

/**
 * The card the app posted into `channel` (a chat.postMessage whose QR is an image block showing
 * a private upload): its blocks, the QR file, and the PNG's bytes as uploaded.
 */
export async function postedCard(fake: FakeSlack, channel: string) {
  const post = await fake.waitForCall('chat.postMessage', (c) => c.args.channel === channel);
  const blocks = (post.args.blocks ?? []) as { type: string; slack_file?: { id: string } }[];
  const fileId = blocks.find((b) => b.type === 'image')?.slack_file?.id;
  const upload = fake.uploads.find((u) => u.fileId === fileId);
  if (!fileId || !upload) throw new Error(`the card in ${channel} shows no uploaded QR`);
  return { post, blocks, fileId, upload };
}
