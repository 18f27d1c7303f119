import type { ModalView } from '@slack/types';
import type { InstallCode } from '../../codes/model.js';
import { CALLBACKS, INPUT } from '../ids.js';

export const SHARE_CHANNEL_BLOCK = 'share_channel';

/**
 * Where should the code be shared? The conversation Share was pressed in is chosen already
 * (`initial_conversation` when we know it; otherwise Slack's current conversation, if any), so
 * posting takes one press: Share.
 */
export function buildShareModal(code: InstallCode, conversationId: string | null): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACKS.sharePicker,
    // Where Share was pressed: a share elsewhere is confirmed by DM.
    private_metadata: JSON.stringify(
      conversationId ? { id: code.id, from: conversationId } : { id: code.id },
    ),
    title: { type: 'plain_text', text: 'Share a code' },
    submit: { type: 'plain_text', text: 'Share' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: SHARE_CHANNEL_BLOCK,
        label: { type: 'plain_text', text: `Post ${code.code} with its QR code in` },
        element: {
          type: 'conversations_select',
          action_id: INPUT,
          default_to_current_conversation: true,
          // A DM is left out: the filter offers channels only.
          ...(conversationId && !conversationId.startsWith('D')
            ? { initial_conversation: conversationId }
            : {}),
          filter: { include: ['public', 'private'], exclude_bot_users: true },
        },
      },
    ],
  };
}
