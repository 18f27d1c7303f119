/** The installation code as the rest of the service speaks of it. Instants are epoch milliseconds. */

export const CODE_ACTIONS = [
  'create_account_and_device',
  'create_device',
  'use_existing_device',
] as const;
export type CodeAction = (typeof CODE_ACTIONS)[number];

/** The one field each action needs, and only that action uses. */
export const TARGET_FIELD = {
  create_account_and_device: 'usernamePrefix',
  create_device: 'accountId',
  use_existing_device: 'deviceId',
} as const satisfies Record<CodeAction, string>;
export type TargetField = (typeof TARGET_FIELD)[CodeAction];
export const TARGET_FIELDS = Object.values(TARGET_FIELD);

/** What staff edit. */
export interface CodeSettings {
  code: string;
  description: string | null;
  expiresAt: number | null;
  usageLimit: number | null;
  usageLimitDelaySeconds: number | null;
  action: CodeAction;
  usernamePrefix: string | null;
  accountId: string | null;
  deviceId: string | null;
  /** A disabled code is kept, listed and editable, but refused (`code_disabled`) until enabled again. */
  enabled: boolean;
}

/** The fields of CodeSettings, in the order a history of changes tells them. */
export const SETTING_FIELDS: readonly (keyof CodeSettings)[] = [
  'code',
  'description',
  'expiresAt',
  'usageLimit',
  'usageLimitDelaySeconds',
  'action',
  'usernamePrefix',
  'accountId',
  'deviceId',
  'enabled',
];

/** What the service keeps beside the settings. */
export interface CodeBookkeeping {
  id: string;
  timesUsed: number;
  lastUsedAt: number | null;
  /** When a redemption was last refused as expired or used up: the code's time never goes back before it. */
  lastRefusedAt: number | null;
  limitReachedAt: number | null;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
  version: number;
}

export type InstallCode = CodeSettings & CodeBookkeeping;

export const CODE_STATUSES = ['active', 'grace', 'used_up', 'expired', 'disabled'] as const;
export type CodeStatus = (typeof CODE_STATUSES)[number];

export function targetOf(code: CodeSettings): string {
  return code[TARGET_FIELD[code.action]] ?? '';
}

/** Who made a change: a Slack user ID, or `api` for the management API. */
export type Actor = string;
export const API_ACTOR: Actor = 'api';
