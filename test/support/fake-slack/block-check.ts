/**
 * Block Kit as the fake's methods check it: Slack refuses blocks that break its limits with
 * `{ ok: false, error: 'invalid_blocks', errors: ['… [json-pointer:/blocks/0/…]'],
 * response_metadata: { messages: ['[ERROR] …'] } }` (the shape python-slack-sdk#1797 and
 * bolt-python#1251 quote), and an image naming a file it cannot show with
 * `invalid slack file [json-pointer:/blocks/N/slack_file]`.
 */
import {
  blockKitProblems,
  type SlackFileResolver,
  type Surface,
  slackErrors,
} from '../block-kit.js';
import { type Answer, refuse } from './http.js';
import type { FakeSlackCall } from './types.js';

export interface BlockCheck {
  /** The refusal for a message's `blocks` argument, or undefined when Slack would take them. */
  messageBlocks(blocks: unknown, call: FakeSlackCall): Answer | undefined;
  /** The refusal for a view (`pointer` `/view`), or undefined. */
  view(view: Record<string, unknown>, call: FakeSlackCall): Answer | undefined;
  /** Slack's `errors` for a message's blocks (empty when fine): for response_url POSTs. */
  errorsOf(blocks: unknown): string[];
}

export function createBlockCheck(slackFile: SlackFileResolver): BlockCheck {
  const invalid = (call: FakeSlackCall, errors: string[]): Answer =>
    refuse(call, 'invalid_blocks', errors.join('; '), {
      errors,
      response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) },
    });
  const errorsOf = (blocks: unknown): string[] => {
    if (!Array.isArray(blocks)) return ['blocks is not an array [json-pointer:/blocks]'];
    return slackErrors(
      blockKitProblems({ type: 'message', blocks }, { pointer: '/blocks', slackFile }),
    );
  };
  return {
    errorsOf,
    messageBlocks(blocks, call) {
      if (blocks === undefined) return undefined;
      // A `blocks` argument that did not even parse as a JSON array.
      if (!Array.isArray(blocks))
        return refuse(call, 'invalid_blocks_format', 'blocks is not a JSON array');
      const errors = errorsOf(blocks);
      return errors.length > 0 ? invalid(call, errors) : undefined;
    },
    view(view, call) {
      const errors = slackErrors(
        blockKitProblems(view as unknown as Surface, { pointer: '/view', slackFile }),
      );
      return errors.length > 0 ? invalid(call, errors) : undefined;
    },
  };
}
