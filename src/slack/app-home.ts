import type { WebClient } from '@slack/web-api';
import type { Logger } from '../log.js';
import {
  DEFAULT_HOME_CHOICE,
  HOME_OPEN_MS,
  type HomeChoice,
  type HomeViews,
} from '../store/home-views.js';
import type { RemovalRequests } from '../store/removal-requests.js';
import type { Schedule } from '../store/schedule.js';
import type { CodePage, CodeService, ListQuery } from '../use-cases/code-service.js';
import { type RoleConfig, roleOf } from './roles.js';
import {
  buildDashboard,
  EXPIRING_WITHIN_MS,
  HOME_CODES,
  HOME_EXPIRING,
  HOME_PENDING_REMOVALS,
  isStatus,
  OUTSIDER_HOME,
} from './views/app-home.js';
import { shownDigest } from './web-api.js';

/** The schedule's task that republishes the open App Homes. */
export const HOME_TASK = 'home';

/** While someone has the Home open, it is looked at this often (counts change without an event). */
export const HOME_CHECK_EVERY_MS = 30_000;

/**
 * The App Home dashboard, republished for everyone who has it open after every change (at once,
 * through the schedule) and every 30 s while open (for counts and expiry, which come without an
 * event); a publish that would show the same is skipped.
 */
export class AppHome {
  constructor(
    private readonly codes: CodeService,
    private readonly homes: HomeViews,
    private readonly schedule: Schedule,
    private readonly client: WebClient,
    private readonly roles: RoleConfig,
    private readonly removalRequests: RemovalRequests,
    private readonly logger: Logger,
    private readonly checkEveryMs = HOME_CHECK_EVERY_MS,
  ) {
    schedule.handle(HOME_TASK, (_subject, now) => this.refreshOpen(now));
  }

  /** After any change someone may see: every open Home is republished (no-op when none is). */
  async changed(): Promise<void> {
    await this.schedule.now(HOME_TASK, 'open').catch((error: unknown) => {
      this.logger.warn({ err: (error as Error).message }, 'could not schedule a Home refresh');
    });
  }

  /** Someone opened their Home tab. */
  async opened(userId: string): Promise<void> {
    if (roleOf(userId, this.roles) === 'outsider') {
      await this.client.views.publish({ user_id: userId, view: OUTSIDER_HOME });
      return;
    }
    const now = await this.codes.now();
    await this.homes.seen(userId, now);
    await this.publish(userId, now, true);
    // Keeps it fresh while open.
    await this.schedule.at(HOME_TASK, 'open', now + this.checkEveryMs);
  }

  /** Someone changed what their Home shows (scope, status, page). */
  async choose(userId: string, change: (choice: HomeChoice) => HomeChoice): Promise<void> {
    const choice = change(await this.homes.choiceOf(userId));
    await this.homes.choose(userId, choice);
    const now = await this.codes.now();
    await this.homes.seen(userId, now);
    await this.publish(userId, now, true);
  }

  /** Republishes each open Home whose content changed; when to look again. */
  async refreshOpen(now: number): Promise<number | null> {
    const open = await this.homes.openSince(now - HOME_OPEN_MS);
    // Homes showing the same query read it once per refresh (most show all codes).
    const lists = new Map<string, Promise<CodePage>>();
    for (const userId of open) {
      if (roleOf(userId, this.roles) !== 'outsider') await this.publish(userId, now, false, lists);
    }
    return open.length ? now + this.checkEveryMs : null;
  }

  private async publish(
    userId: string,
    now: number,
    force: boolean,
    lists = new Map<string, Promise<CodePage>>(),
  ): Promise<void> {
    const choice = await this.homes.choiceOf(userId);
    const view = buildDashboard(await this.contentOf(userId, choice, now, lists));
    const digest = shownDigest(view);
    if (!force && (await this.homes.shown(userId)) === digest) return;
    await this.client.views.publish({ user_id: userId, view });
    await this.homes.setShown(userId, digest);
  }

  private async contentOf(
    userId: string,
    choice: HomeChoice,
    now: number,
    lists: Map<string, Promise<CodePage>>,
  ) {
    const createdBy = choice.scope === 'mine' ? userId : null;
    const status = isStatus(choice.status) ? choice.status : null;
    const list = (query: ListQuery) => {
      const key = JSON.stringify(query);
      if (!lists.has(key)) lists.set(key, this.codes.listCodes(query));
      return lists.get(key) as Promise<CodePage>;
    };
    const [page, expiring, pendingRemovals] = await Promise.all([
      list({ limit: HOME_CODES, cursor: choice.cursors.at(-1) || null, createdBy, status }),
      list({ limit: HOME_EXPIRING, createdBy, expiresBefore: now + EXPIRING_WITHIN_MS }),
      roleOf(userId, this.roles) === 'admin'
        ? this.removalRequests.pending(HOME_PENDING_REMOVALS)
        : Promise.resolve([]),
    ]);
    return {
      choice,
      now,
      codes: page.codes,
      nextCursor: page.nextCursor,
      expiring: expiring.codes,
      pendingRemovals,
    };
  }
}

/** Choice changes, from the dashboard's controls. */
export const homeChoices = {
  scope: (scope: HomeChoice['scope']) => (c: HomeChoice) => ({
    ...c,
    scope,
    cursors: [''],
    page: 1,
  }),
  status: (status: string) => (c: HomeChoice) => ({
    ...c,
    status: isStatus(status) ? status : '',
    cursors: [''],
    page: 1,
  }),
  next: (cursor: string) => (c: HomeChoice) => ({
    ...c,
    cursors: [...c.cursors, cursor].slice(-50),
    page: c.page + 1,
  }),
  previous: () => (c: HomeChoice) =>
    c.cursors.length > 1
      ? { ...c, cursors: c.cursors.slice(0, -1), page: c.page - 1 }
      : { ...c, cursors: DEFAULT_HOME_CHOICE.cursors, page: 1 },
};
