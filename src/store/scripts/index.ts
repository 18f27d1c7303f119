import type { Cluster, Redis } from 'ioredis';
import { drawAccountNumberScript } from './account-number.js';
import { indexAddScript, indexPageScript, indexRemoveScript } from './code-index.js';
import { registerScripts } from './define.js';
import {
  recordDeviceRedemptionScript,
  refreshDeviceScript,
  revokeDeviceScript,
} from './devices.js';
import { claimNameScript, setNameLifetimeScript } from './names.js';
import {
  emitExpiryScript,
  finishDeliveryScript,
  publishEventsScript,
  takeRelayedScript,
} from './outbox.js';
import {
  addHistoryScript,
  createRecordScript,
  deleteRecordScript,
  updateRecordScript,
} from './records.js';
import { redeemScript, withdrawScript } from './redeem.js';
import { claimReminderScript } from './reminders.js';
import {
  addRemovalCopyScript,
  decideRemovalRequestScript,
  openRemovalRequestScript,
  reopenRemovalRequestScript,
  withdrawRemovalRequestScript,
} from './removal-requests.js';
import { claimTasksScript, finishTaskScript, makeDueScript, renewLeaseScript } from './schedule.js';

export * from './account-number.js';
export * from './code-index.js';
export * from './devices.js';
export * from './names.js';
export * from './outbox.js';
export * from './records.js';
export * from './redeem.js';
export * from './reminders.js';
export * from './removal-requests.js';
export * from './schedule.js';

const ALL = [
  indexAddScript,
  indexRemoveScript,
  indexPageScript,
  redeemScript,
  withdrawScript,
  drawAccountNumberScript,
  createRecordScript,
  updateRecordScript,
  deleteRecordScript,
  addHistoryScript,
  claimNameScript,
  setNameLifetimeScript,
  claimTasksScript,
  finishTaskScript,
  makeDueScript,
  renewLeaseScript,
  claimReminderScript,
  openRemovalRequestScript,
  addRemovalCopyScript,
  decideRemovalRequestScript,
  reopenRemovalRequestScript,
  withdrawRemovalRequestScript,
  takeRelayedScript,
  publishEventsScript,
  finishDeliveryScript,
  emitExpiryScript,
  recordDeviceRedemptionScript,
  refreshDeviceScript,
  revokeDeviceScript,
];

/** Every script of the store, callable on `redis`. */
export function defineScripts(redis: Redis | Cluster): void {
  registerScripts(redis, ALL);
}
