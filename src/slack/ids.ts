/** The names Slack sends back to us: callback, block and action IDs of every view and message. */

export const COMMAND = '/installcode';

export const CALLBACKS = {
  editor: 'code_editor',
  createShortcut: 'create_code',
  sharePicker: 'share_picker',
  /** A staff member's request to remove a code: the optional reason for the admins. */
  removalReason: 'removal_reason',
} as const;

export const ACTIONS = {
  generateCode: 'editor_generate_code',
  chooseAction: 'editor_choose_action',
  chooseExpiry: 'editor_choose_expiry',
  listPrevious: 'list_previous',
  listNext: 'list_next',
  codeMenu: 'code_menu',
  homeCreate: 'home_create',
  homeMine: 'home_mine',
  homeAll: 'home_all',
  homeStatus: 'home_status',
  homePrevious: 'home_previous',
  homeNext: 'home_next',
  deleteRemove: 'delete_remove',
  deleteCancel: 'delete_cancel',
  /** An admin's "Remove code" on a removal request; the value is the request's ID. */
  adminRemove: 'admin_remove',
  /** An admin's "Keep code" on a removal request; the value is the request's ID. */
  adminCancel: 'admin_cancel',
  /** Share, Show QR and Edit under a confirmation; each button's ID is `code_button.<verb>`. */
  codeButton: /^code_button\.[a-z]+$/,
  muteReminders: 'reminder_mute',
  /** Disable, Enable and the Extend buttons under a code; each button's ID is `code_life.<verb>`. */
  codeLifecycle: /^code_life\.[a-z0-9]+$/,
  helpCreate: 'help_create',
  helpList: 'help_list',
  pickCode: 'pick_code',
} as const;

/** Buttons in one actions block need IDs of their own; the value (`verb:recordId`) says what to do. */
export const codeButtonId = (verb: CodeMenuVerb) => `code_button.${verb}`;

/** The picker's block ID: `pick_code:VERB:CHANNEL`, so the choice knows what to do and where. */
export const PICKER_BLOCK_PREFIX = 'pick_code';

/** The editor's input blocks. The code's and the target's carry a suffix so that views.update can reset them. */
export const EDITOR_BLOCKS = {
  description: 'description',
  code: 'code',
  expiresAt: 'expires_at',
  /** The date-time picker, shown only when "Expires after" is "a date". */
  expiresOn: 'expires_on',
  /** The notice at the top when someone else saved the code meanwhile. */
  notice: 'notice',
  usageLimit: 'usage_limit',
  usageLimitDelay: 'usage_limit_delay',
  action: 'action',
  target: 'target',
  generate: 'generate',
} as const;

/** The action ID of every input element of the editor. */
export const INPUT = 'value';

/** What the overflow menu of a code offers; the option value is `verb:recordId`. */
export const CODE_MENU_VERBS = ['qr', 'edit', 'share', 'history', 'delete'] as const;
export type CodeMenuVerb = (typeof CODE_MENU_VERBS)[number];

/** What the buttons under a code in the list and the App Home do; the button's value is the record ID. */
export const LIFECYCLE_VERBS = ['disable', 'enable', 'days7', 'days30', 'uses10'] as const;
export type LifecycleVerb = (typeof LIFECYCLE_VERBS)[number];
export const lifecycleButtonId = (verb: LifecycleVerb) => `code_life.${verb}`;
