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
  listPrevious: 'list_previous',
  listNext: 'list_next',
  codeMenu: 'code_menu',
  homeCreate: 'home_create',
  deleteRemove: 'delete_remove',
  deleteCancel: 'delete_cancel',
  /** An admin's "Remove code" on a removal request; the value is the request's ID. */
  adminRemove: 'admin_remove',
  /** An admin's "Keep code" on a removal request; the value is the request's ID. */
  adminCancel: 'admin_cancel',
} as const;

/** The editor's input blocks. The code's and the target's carry a suffix so that views.update can reset them. */
export const EDITOR_BLOCKS = {
  description: 'description',
  code: 'code',
  expiresAt: 'expires_at',
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
