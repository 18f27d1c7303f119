/** Who may do what: admins remove codes; staff do everything else; anyone else is refused politely. */
export type Role = 'admin' | 'staff' | 'outsider';

export interface RoleConfig {
  admins: readonly string[];
  /** Empty: every member of the workspace is staff. */
  staff: readonly string[];
}

export function roleOf(userId: string, roles: RoleConfig): Role {
  if (roles.admins.includes(userId)) return 'admin';
  if (roles.staff.length === 0 || roles.staff.includes(userId)) return 'staff';
  return 'outsider';
}

export const OUTSIDER_MESSAGE =
  'Sorry, installcode is for the support team only. Ask one of its admins if you need access.';
export const ADMINS_ONLY_MESSAGE = 'Sorry, only installcode admins can remove codes.';
