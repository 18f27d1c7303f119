import type { WebClient } from '@slack/web-api';
import { CodeError } from '../codes/errors.js';
import type { InstallCode } from '../codes/model.js';
import type { Request, SlackServices } from './code-actions.js';
import { ADMINS_ONLY_MESSAGE, type Role, roleOf } from './roles.js';
import { buildDecision, buildDeletePrompt, buildDeleteRequest } from './views/deletion.js';

/** Removing a code: an admin removes; a staff member asks the admins, and an admin decides. */

export async function askToDelete(services: SlackServices, request: Request, code: InstallCode) {
  const now = await services.codes.now();
  await request.reply({ text: `Remove ${code.code}?`, blocks: buildDeletePrompt(code, now) });
}

/**
 * Remove pressed on the prompt: an admin's press deletes; a staff member's press sends the
 * request to the admins (their channel, or each admin by DM), where only an admin decides.
 */
export async function removeOrRequest(
  services: SlackServices,
  request: Request,
  codeId: string,
  role: Role,
) {
  const code = await services.codes.findById(codeId);
  if (!code) {
    await request.reply({ text: 'That code is already gone.', replace: true });
    return;
  }
  if (role === 'admin') {
    await services.codes.deleteCode(code, undefined, request.userId);
    await request.reply({
      text: `Removed \`${code.code}\`.`,
      blocks: buildDecision(`:wastebasket: <@${request.userId}> removed \`${code.code}\`.`),
      replace: true,
    });
    return;
  }
  const blocks = buildDeleteRequest(code, await services.codes.now(), request.userId);
  const text = `<@${request.userId}> asks to remove ${code.code}`;
  for (const channel of await adminConversations(services, request.client)) {
    await request.client.chat.postMessage({ channel, text, blocks });
  }
  await request.reply({
    text: `Asked the admins to remove \`${code.code}\`.`,
    blocks: buildDecision(
      `:hourglass: You asked the admins to remove \`${code.code}\`. They will decide.`,
    ),
    replace: true,
  });
}

async function adminConversations(services: SlackServices, client: WebClient): Promise<string[]> {
  if (services.adminChannelId) return [services.adminChannelId];
  const channels: string[] = [];
  for (const admin of services.roles.admins) {
    const dm = await client.conversations.open({ users: admin });
    if (dm.channel?.id) channels.push(dm.channel.id);
  }
  if (channels.length === 0)
    throw new CodeError('unavailable', 'No admin is configured (ADMIN_USER_IDS) to decide.');
  return channels;
}

/** An admin's decision on a staff member's request; anyone else is refused and nothing changes. */
export async function decideRequest(
  services: SlackServices,
  request: Request & { messageTs: string; channelId: string },
  value: { id: string; requestedBy: string },
  remove: boolean,
) {
  if (roleOf(request.userId, services.roles) !== 'admin') {
    await request.client.chat.postEphemeral({
      channel: request.channelId,
      user: request.userId,
      text: ADMINS_ONLY_MESSAGE,
    });
    return;
  }
  const code = await services.codes.findById(value.id);
  const name = code ? `\`${code.code}\`` : 'the code';
  let text: string;
  if (!code)
    text = `:information_source: ${name} was already gone when <@${request.userId}> looked.`;
  else if (remove) {
    await services.codes.deleteCode(code, undefined, request.userId);
    text = `:wastebasket: <@${request.userId}> removed ${name}, as <@${value.requestedBy}> asked.`;
  } else
    text = `:no_entry_sign: <@${request.userId}> kept ${name}; <@${value.requestedBy}> asked to remove it.`;
  await request.client.chat.update({
    channel: request.channelId,
    ts: request.messageTs,
    text,
    blocks: buildDecision(text),
  });
}
