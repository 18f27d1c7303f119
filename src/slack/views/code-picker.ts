import type { KnownBlock, PlainTextOption } from '@slack/types';
import type { InstallCode } from '../../codes/model.js';
import type { PickableVerb } from '../command-text.js';
import { ACTIONS, PICKER_BLOCK_PREFIX } from '../ids.js';
import { clip, escapeMrkdwn, mrkdwn } from './format.js';

/** Slack shows at most 100 options; each option's text holds 75 characters and its value 150. */
export const MAX_OPTIONS = 100;
const MAX_OPTION_TEXT = 75;
const MAX_OPTION_VALUE = 150;

const QUESTION: Record<PickableVerb, string> = {
  edit: 'Which code do you want to edit?',
  qr: 'Which code’s QR image do you want?',
  share: 'Which code do you want to share?',
  delete: 'Which code do you want to remove?',
  history: 'Which code’s history do you want?',
};

export interface PickerTarget {
  verb: PickableVerb;
  /** Where a share goes, when the command named a channel. */
  channelId: string | null;
}

export function pickerBlockId({ verb, channelId }: PickerTarget): string {
  return [PICKER_BLOCK_PREFIX, verb, channelId ?? ''].join(':');
}

/** The verb and channel a picker's block ID carries; null for anything else. */
export function pickerTargetOf(blockId: string): PickerTarget | null {
  const [prefix, verb, channelId = ''] = blockId.split(':');
  if (prefix !== PICKER_BLOCK_PREFIX || !verb || !Object.hasOwn(QUESTION, verb)) return null;
  return { verb: verb as PickableVerb, channelId: channelId || null };
}

/** What the picker asks; a code typed but not found is named above it. */
export function pickerText(target: PickerTarget, notFound: string | null): string {
  if (notFound === null) return QUESTION[target.verb];
  return `No code \`${escapeMrkdwn(clip(notFound, 40))}\`; pick one:`;
}

/** An ephemeral question with a menu whose options the app serves as the person types. */
export function buildCodePicker(target: PickerTarget, notFound: string | null): KnownBlock[] {
  return [
    mrkdwn(pickerText(target, notFound)),
    {
      type: 'actions',
      block_id: pickerBlockId(target),
      elements: [
        {
          type: 'external_select',
          action_id: ACTIONS.pickCode,
          placeholder: { type: 'plain_text', text: 'Type part of a code, description or prefix' },
          min_query_length: 0,
        },
      ],
    },
  ];
}

/** The options for what was typed: description and code, the record ID as the value. */
export function buildCodeOptions(codes: InstallCode[]): PlainTextOption[] {
  return codes
    .filter((code) => code.id.length <= MAX_OPTION_VALUE)
    .slice(0, MAX_OPTIONS)
    .map((code) => ({
      text: { type: 'plain_text', text: optionText(code) },
      value: code.id,
    }));
}

/** `Description · CODE`, the description clipped so that the code always shows. */
function optionText(code: InstallCode): string {
  if (!code.description) return clip(code.code, MAX_OPTION_TEXT);
  const room = MAX_OPTION_TEXT - code.code.length - 3;
  if (room < 10) return clip(code.code, MAX_OPTION_TEXT);
  return `${clip(code.description, room)} · ${code.code}`;
}
