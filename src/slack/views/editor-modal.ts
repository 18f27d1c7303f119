import type { InputBlock, KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import { formatDuration } from '../../codes/durations.js';
import {
  API_ACTOR,
  CODE_ACTIONS,
  type CodeAction,
  type CodeSettings,
  type InstallCode,
  TARGET_FIELD,
} from '../../codes/model.js';
import {
  codeBlockId,
  type EditorContext,
  type EditorDraft,
  EXPIRY_CHOICES,
  type ExpiryChoice,
  encodeContext,
  targetBlockId,
} from '../editor-form.js';
import { ACTIONS, CALLBACKS, EDITOR_BLOCKS, INPUT } from '../ids.js';
import { ACTION_LABEL, clip, escapeMrkdwn, mrkdwn, slackDate, TARGET_LABEL } from './format.js';

const TARGET_HINT = {
  usernamePrefix:
    'New accounts are named this prefix and a number, like acme-0001. 1–32 of a-z 0-9 . _ -',
  accountId: 'The account that new devices join. 1–64 of A-Z a-z 0-9 . _ @ -',
  deviceId: 'The device this code installs. 1–64 of A-Z a-z 0-9 . _ @ -',
} as const;

const plain = (text: string) => ({ type: 'plain_text' as const, text });

function actionOption(action: CodeAction): PlainTextOption {
  return {
    text: plain(ACTION_LABEL[action]),
    value: action,
    description: plain(ACTION_DESCRIPTION[action]),
  };
}

function textInput(
  blockId: string,
  label: string,
  value: string,
  options: { optional?: boolean; maxLength?: number; hint?: string; placeholder?: string } = {},
): InputBlock {
  return {
    type: 'input',
    block_id: blockId,
    optional: options.optional ?? false,
    label: plain(label),
    ...(options.hint ? { hint: plain(options.hint) } : {}),
    element: {
      type: 'plain_text_input',
      action_id: INPUT,
      ...(value ? { initial_value: value } : {}),
      ...(options.maxLength ? { max_length: options.maxLength } : {}),
      ...(options.placeholder ? { placeholder: plain(options.placeholder) } : {}),
    },
  };
}

const ACTION_DESCRIPTION: Record<CodeAction, string> = {
  create_account_and_device: 'Each device gets a new account of its own: a group code.',
  create_device: 'Each device is added as a new device to one existing account.',
  use_existing_device: 'The device takes the place of one existing device: a reinstall.',
};

const EXPIRY_LABEL: Record<ExpiryChoice, string> = {
  '1d': 'In 1 day',
  '7d': 'In 7 days',
  '30d': 'In 30 days',
  '90d': 'In 90 days',
  date: 'On a date…',
  never: 'Never',
};

function expiryOption(choice: ExpiryChoice): PlainTextOption {
  return { text: plain(EXPIRY_LABEL[choice]), value: choice };
}

function actionInput(draft: EditorDraft, creating: boolean): InputBlock {
  const hint = creating
    ? 'What a device gets when it uses the code. Choosing one fills in its usual expiry and limit.'
    : 'What a device gets when it uses the code.';
  return {
    type: 'input',
    block_id: EDITOR_BLOCKS.action,
    dispatch_action: true,
    label: plain('Action'),
    hint: plain(hint),
    element: {
      type: 'radio_buttons',
      action_id: ACTIONS.chooseAction,
      options: CODE_ACTIONS.map(actionOption),
      ...(draft.action ? { initial_option: actionOption(draft.action) } : {}),
    },
  };
}

function targetInput(action: CodeAction, target: string): InputBlock {
  const field = TARGET_FIELD[action];
  return textInput(targetBlockId(action), TARGET_LABEL[field], target, {
    maxLength: field === 'usernamePrefix' ? 32 : 64,
    hint: TARGET_HINT[field],
  });
}

/** "Expires after": presets, and the date-time picker only once "a date" is chosen. */
function expiryInputs(draft: EditorDraft): InputBlock[] {
  const choice: InputBlock = {
    type: 'input',
    block_id: EDITOR_BLOCKS.expiresAt,
    dispatch_action: true,
    label: plain('Expires after'),
    hint: plain(
      'Counted from when you save. With Never and no usage limit, the code works until it is removed.',
    ),
    element: {
      type: 'static_select',
      action_id: ACTIONS.chooseExpiry,
      options: EXPIRY_CHOICES.map(expiryOption),
      ...(draft.expiry ? { initial_option: expiryOption(draft.expiry) } : {}),
    },
  };
  if (draft.expiry !== 'date') return [choice];
  const picker: InputBlock = {
    type: 'input',
    block_id: EDITOR_BLOCKS.expiresOn,
    label: plain('Expiry date'),
    hint: plain('The code stops working at this moment, shown in your time zone.'),
    element: {
      type: 'datetimepicker',
      action_id: INPUT,
      ...(draft.expiresAt !== null
        ? { initial_date_time: Math.floor(draft.expiresAt / 1000) }
        : {}),
    },
  };
  return [choice, picker];
}

/**
 * The editor: the action first (it decides the rest), then every field of a code. `notice`, when
 * given, leads the form (someone else saved the code meanwhile).
 */
export function buildEditorModal(
  draft: EditorDraft,
  context: EditorContext,
  notice?: string,
): ModalView {
  const blocks: KnownBlock[] = [
    ...(notice ? [{ ...mrkdwn(notice), block_id: EDITOR_BLOCKS.notice }] : []),
    actionInput(draft, context.id === null),
    ...(draft.action ? [targetInput(draft.action, draft.target)] : []),
    textInput(EDITOR_BLOCKS.description, 'Description', draft.description, {
      optional: true,
      maxLength: 200,
      placeholder: 'Who or what the code is for',
    }),
    textInput(codeBlockId(context), 'Installation code', draft.code, {
      maxLength: 64,
      hint: '4–64 letters, digits, - and _. Case, - and _ do not matter when it is typed on a device.',
    }),
    {
      type: 'actions',
      block_id: EDITOR_BLOCKS.generate,
      elements: [
        { type: 'button', action_id: ACTIONS.generateCode, text: plain('Generate new code') },
      ],
    },
    ...expiryInputs(draft),
    {
      type: 'input',
      block_id: EDITOR_BLOCKS.usageLimit,
      optional: true,
      label: plain('Usage limit'),
      hint: plain('How many times the code may be used. Empty: no limit.'),
      element: {
        type: 'number_input',
        action_id: INPUT,
        is_decimal_allowed: false,
        min_value: '1',
        ...(draft.usageLimit ? { initial_value: draft.usageLimit } : {}),
      },
    },
    textInput(EDITOR_BLOCKS.usageLimitDelay, 'Usage limit delay', draft.usageLimitDelay, {
      optional: true,
      placeholder: 'e.g. 30m, 12h, 7d',
      hint: 'A grace period after the limit is reached, from 1 minute to 365 days. Empty: none.',
    }),
  ];
  return {
    type: 'modal',
    callback_id: CALLBACKS.editor,
    private_metadata: encodeContext(context),
    title: plain(context.id ? 'Edit installation code' : 'New installation code'),
    submit: plain(context.id ? 'Save' : 'Create'),
    close: plain('Cancel'),
    blocks,
  };
}

/** Each setting as the editor names it, and its value in words. */
const SETTING_WORDS: [keyof CodeSettings, string, (code: CodeSettings) => string][] = [
  ['action', 'Action', (c) => ACTION_LABEL[c.action]],
  ['usernamePrefix', TARGET_LABEL.usernamePrefix, (c) => quoted(c.usernamePrefix)],
  ['accountId', TARGET_LABEL.accountId, (c) => quoted(c.accountId)],
  ['deviceId', TARGET_LABEL.deviceId, (c) => quoted(c.deviceId)],
  ['description', 'Description', (c) => quoted(c.description)],
  ['code', 'Installation code', (c) => quoted(c.code)],
  ['expiresAt', 'Expires after', (c) => slackDate(c.expiresAt, 'never')],
  ['usageLimit', 'Usage limit', (c) => (c.usageLimit === null ? 'none' : String(c.usageLimit))],
  [
    'usageLimitDelaySeconds',
    'Usage limit delay',
    (c) => (c.usageLimitDelaySeconds === null ? 'none' : formatDuration(c.usageLimitDelaySeconds)),
  ],
];

function quoted(text: string | null): string {
  return text ? `“${escapeMrkdwn(text)}”` : 'none';
}

/**
 * The notice at the top of an editor whose code someone else saved meanwhile: who, when, and
 * each setting that changed (`seen` is what the editor showed; absent in an editor opened
 * before it was kept).
 */
export function conflictNotice(latest: InstallCode, seen: CodeSettings | undefined): string {
  const who = latest.updatedBy === API_ACTOR ? 'The API' : `<@${latest.updatedBy}>`;
  const lines = [
    `:warning: *${who} saved this code ${slackDate(latest.updatedAt)}, after you opened the editor.*`,
  ];
  if (seen) {
    const changes = SETTING_WORDS.filter(([key]) => seen[key] !== latest[key]).map(
      ([, label, words]) => `• ${label}: ${words(seen)} → ${words(latest)}`,
    );
    lines.push(...(changes.length ? changes : ['None of the settings here changed.']));
  }
  lines.push('What you typed is kept below. Save again to replace their changes, or Cancel.');
  return clip(lines.join('\n'), 3000);
}
