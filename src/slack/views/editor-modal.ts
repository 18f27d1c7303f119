import type { InputBlock, KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import { CODE_ACTIONS, type CodeAction, TARGET_FIELD } from '../../codes/model.js';
import {
  codeBlockId,
  type EditorContext,
  type EditorDraft,
  encodeContext,
  targetBlockId,
} from '../editor-form.js';
import { ACTIONS, CALLBACKS, EDITOR_BLOCKS, INPUT } from '../ids.js';
import { ACTION_LABEL, TARGET_LABEL } from './format.js';

const TARGET_HINT = {
  usernamePrefix:
    'New accounts are named this prefix and a number, like acme-0001. 1–32 of a-z 0-9 . _ -',
  accountId: 'The account that new devices join. 1–64 of A-Z a-z 0-9 . _ @ -',
  deviceId: 'The device this code installs. 1–64 of A-Z a-z 0-9 . _ @ -',
} as const;

const plain = (text: string) => ({ type: 'plain_text' as const, text });

function actionOption(action: CodeAction): PlainTextOption {
  return { text: plain(ACTION_LABEL[action]), value: action };
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

/** The editor: every field of a code; choosing an action brings in that action's one field. */
export function buildEditorModal(draft: EditorDraft, context: EditorContext): ModalView {
  const blocks: KnownBlock[] = [
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
    {
      type: 'input',
      block_id: EDITOR_BLOCKS.expiresAt,
      optional: true,
      label: plain('Expires after'),
      hint: plain('Empty: never expires (unless the usage limit ends it).'),
      element: {
        type: 'datetimepicker',
        action_id: INPUT,
        ...(draft.expiresAt !== null
          ? { initial_date_time: Math.floor(draft.expiresAt / 1000) }
          : {}),
      },
    },
    {
      type: 'input',
      block_id: EDITOR_BLOCKS.usageLimit,
      optional: true,
      label: plain('Usage limit'),
      hint: plain('How many times the code may be used. Empty: unlimited.'),
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
      hint: 'After the limit is reached, use is still allowed for this long. Empty: refused at once.',
    }),
    {
      type: 'input',
      block_id: EDITOR_BLOCKS.action,
      dispatch_action: true,
      label: plain('Action'),
      element: {
        type: 'radio_buttons',
        action_id: ACTIONS.chooseAction,
        options: CODE_ACTIONS.map(actionOption),
        ...(draft.action ? { initial_option: actionOption(draft.action) } : {}),
      },
    },
  ];
  if (draft.action) {
    const field = TARGET_FIELD[draft.action];
    blocks.push(
      textInput(targetBlockId(draft.action), TARGET_LABEL[field], draft.target, {
        maxLength: field === 'usernamePrefix' ? 32 : 64,
        hint: TARGET_HINT[field],
      }),
    );
  }
  return {
    type: 'modal',
    callback_id: CALLBACKS.editor,
    private_metadata: encodeContext(context),
    title: plain(context.id ? 'Edit installation code' : 'New installation code'),
    submit: plain('Save'),
    close: plain('Cancel'),
    blocks,
  };
}
