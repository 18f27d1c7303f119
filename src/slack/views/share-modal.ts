import type { ModalView } from '@slack/types';
import type { InstallCode } from '../../codes/model.js';
import { CALLBACKS, INPUT } from '../ids.js';

export const SHARE_CHANNEL_BLOCK = 'share_channel';

/** From the App Home, which has no conversation of its own: where should the code be shared? */
export function buildShareModal(code: InstallCode): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACKS.sharePicker,
    private_metadata: JSON.stringify({ id: code.id }),
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
          filter: { include: ['public', 'private'], exclude_bot_users: true },
        },
      },
    ],
  };
}
