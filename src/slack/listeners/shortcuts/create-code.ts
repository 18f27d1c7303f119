import type {
  AllMiddlewareArgs,
  App,
  GlobalShortcut,
  SlackShortcutMiddlewareArgs,
} from '@slack/bolt';
import { openEditor } from '../../code-actions.js';
import { CALLBACKS } from '../../ids.js';
import { answerFailures, directReply, type ListenerDeps } from '../context.js';
import { staffOnly } from '../guards.js';

/** The global shortcut "Create an installation code": the editor, from anywhere in Slack. */
export function createFromShortcut(deps: ListenerDeps) {
  return async ({
    ack,
    shortcut,
    client,
  }: AllMiddlewareArgs & SlackShortcutMiddlewareArgs<GlobalShortcut>) => {
    await ack();
    const request = {
      client,
      userId: shortcut.user.id,
      channelId: null,
      reply: directReply(client, shortcut.user.id),
    };
    await answerFailures(deps, request, () => openEditor(request, shortcut.trigger_id, null));
  };
}

export function registerShortcuts(app: App, deps: ListenerDeps) {
  app.shortcut(CALLBACKS.createShortcut, staffOnly(deps), createFromShortcut(deps));
}
