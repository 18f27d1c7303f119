import { CodeError } from '../codes/errors.js';
import type { InstallCode } from '../codes/model.js';
import {
  openEditor,
  type Request,
  replyWithHistory,
  type SlackServices,
  sendQrToRequester,
  shareCode,
} from './code-actions.js';
import { unreachable } from './command-text.js';
import { askToDelete } from './deletion.js';
import type { PickerTarget } from './views/code-picker.js';

/** Does what the verb says to one code: typed in the command, or picked from the menu. */
export function doToCode(
  services: SlackServices,
  request: Request,
  { verb, channelId }: PickerTarget,
  code: InstallCode,
  triggerId: string,
): Promise<void> {
  switch (verb) {
    case 'edit':
      return openEditor(request, triggerId, code);
    case 'qr':
      return sendQrToRequester(services, request, code);
    case 'share': {
      const into = channelId ?? request.channelId;
      if (!into) throw new CodeError('invalid_request', 'Name the channel to share the code in.');
      return shareCode(services, request, code, into);
    }
    case 'delete':
      return askToDelete(services, request, code);
    case 'history':
      return replyWithHistory(services, request, code);
    default:
      return unreachable(verb);
  }
}
