/** What the history of a code tells: who did what to it, and when. */
export type HistoryEventType = 'created' | 'updated' | 'renamed' | 'redeemed' | 'shared';

export interface HistoryEvent {
  at: number;
  /** A Slack user ID, `api`, or `device` for a redemption. */
  by: string;
  type: HistoryEventType;
  /** The fields an update changed. */
  changed?: string[];
  from?: string;
  to?: string;
  accountId?: string | null;
  deviceId?: string;
  channel?: string;
}

/** How many events a code keeps: the newest, as a capped list. */
export const HISTORY_LENGTH = 50;

export function parseHistory(entries: string[]): HistoryEvent[] {
  return entries.map((entry) => JSON.parse(entry) as HistoryEvent);
}
