/** What the history of a code tells: who did what to it, and when. */
export type HistoryEventType =
  | 'created'
  | 'updated'
  | 'renamed'
  | 'disabled'
  | 'enabled'
  | 'extended'
  | 'redeemed'
  | 'shared';

/** A value of a code's setting as the history keeps it. */
export type SettingValue = string | number | boolean | null;

/** One setting an update changed: its value before and after. */
export interface SettingChange {
  field: string;
  from: SettingValue;
  to: SettingValue;
}

export interface HistoryEvent {
  at: number;
  /** A Slack user ID, `api`, or `device` for a redemption. */
  by: string;
  type: HistoryEventType;
  /** The fields an update changed. */
  changed?: string[];
  /** The settings an update changed, old → new (events written before these were kept have none). */
  changes?: SettingChange[];
  from?: string;
  to?: string;
  accountId?: string | null;
  deviceId?: string;
  /** The name and model a redeeming device gave (not kept before these were). */
  deviceName?: string;
  deviceModel?: string;
  channel?: string;
}

/** How many events a code keeps: the newest, as a capped list. */
export const HISTORY_LENGTH = 50;

export function parseHistory(entries: string[]): HistoryEvent[] {
  return entries.map((entry) => JSON.parse(entry) as HistoryEvent);
}
