import type { AllMiddlewareArgs, App, SlackEventMiddlewareArgs } from '@slack/bolt';
import { roleOf } from '../../roles.js';
import { buildAppHome, HOME_CODES } from '../../views/app-home.js';
import type { ListenerDeps } from '../context.js';
import { firstDelivery } from '../guards.js';

/** The App Home: a Create button and the newest codes, published for the person who opened it. */
export function publishHome(deps: ListenerDeps) {
  const { codes, roles } = deps.services;
  return async ({
    event,
    client,
  }: AllMiddlewareArgs & SlackEventMiddlewareArgs<'app_home_opened'>) => {
    if (event.tab !== 'home') return;
    const mayUse = roleOf(event.user, roles) !== 'outsider';
    const [page, now] = await Promise.all([
      mayUse ? codes.listCodes({ limit: HOME_CODES }) : { codes: [] },
      codes.now(),
    ]);
    await client.views.publish({
      user_id: event.user,
      view: buildAppHome(page.codes, now, mayUse),
    });
  };
}

export function registerEvents(app: App, deps: ListenerDeps) {
  app.event('app_home_opened', firstDelivery(deps.services.eventClaims), publishHome(deps));
}
