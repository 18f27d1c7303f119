import type { App } from '@slack/bolt';
import { registerCodeActions } from './actions/codes.js';
import { registerEditorActions } from './actions/editor.js';
import { registerHelpActions } from './actions/help.js';
import { registerHomeActions } from './actions/home.js';
import { registerReminderActions } from './actions/reminders.js';
import { registerCommands } from './commands/installcode.js';
import type { ListenerDeps } from './context.js';
import { registerEvents } from './events/app-home-opened.js';
import { registerCodePicker } from './options/code-picker.js';
import { registerShortcuts } from './shortcuts/create-code.js';
import { registerEditorSubmission } from './views/editor-submission.js';
import { registerRemovalReasonSubmission } from './views/removal-reason.js';
import { registerShareSubmission } from './views/share-submission.js';

export function registerListeners(app: App, deps: ListenerDeps) {
  registerCommands(app, deps);
  registerEditorActions(app, deps);
  registerCodeActions(app, deps);
  registerHomeActions(app, deps);
  registerReminderActions(app, deps);
  registerEditorSubmission(app, deps);
  registerShareSubmission(app, deps);
  registerRemovalReasonSubmission(app, deps);
  registerEvents(app, deps);
  registerShortcuts(app, deps);
  registerCodePicker(app, deps);
  registerHelpActions(app, deps);
}
