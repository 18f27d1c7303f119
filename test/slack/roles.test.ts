import { describe, expect, it } from 'vitest';
import { ADMINS_ONLY_MESSAGE, OUTSIDER_MESSAGE, roleOf } from '../../src/slack/roles.js';

describe('roleOf', () => {
  it('makes admins admins, even when the staff list leaves them out', () => {
    const roles = { admins: ['U0ADMIN'], staff: ['U0STAFF'] };
    expect(roleOf('U0ADMIN', roles)).toBe('admin');
  });

  it('makes an admin who is also staff an admin', () => {
    expect(roleOf('U0BOTH', { admins: ['U0BOTH'], staff: ['U0BOTH', 'U0STAFF'] })).toBe('admin');
  });

  it('makes everyone staff when the staff list is empty', () => {
    const roles = { admins: ['U0ADMIN'], staff: [] };
    expect(roleOf('U0ANYONE', roles)).toBe('staff');
    expect(roleOf('U0ADMIN', roles)).toBe('admin');
    expect(roleOf('U0ANYONE', { admins: [], staff: [] })).toBe('staff');
  });

  it('makes only the listed members staff, and everyone else an outsider', () => {
    const roles = { admins: ['U0ADMIN'], staff: ['U0STAFF', 'U0OTHER'] };
    expect(roleOf('U0STAFF', roles)).toBe('staff');
    expect(roleOf('U0OTHER', roles)).toBe('staff');
    expect(roleOf('U0STRANGER', roles)).toBe('outsider');
    expect(roleOf('', roles)).toBe('outsider');
  });

  it('matches user IDs exactly', () => {
    const roles = { admins: ['U0ADMIN'], staff: ['U0STAFF'] };
    expect(roleOf('u0admin', roles)).toBe('outsider');
    expect(roleOf('U0STAF', roles)).toBe('outsider');
    expect(roleOf('U0ADMIN ', roles)).toBe('outsider');
  });

  it('has polite refusals', () => {
    expect(OUTSIDER_MESSAGE).toMatch(/^Sorry/);
    expect(ADMINS_ONLY_MESSAGE).toMatch(/^Sorry/);
  });
});
