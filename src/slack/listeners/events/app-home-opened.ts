import type { AllMiddlewareArgs, App, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { ListenerDeps } from '../context.js';
import { firstDelivery } from '../guards.js';

/** The App Home: the dashboard, published for the person who opened it (see slack/app-home.ts). */
export function publishHome(deps: ListenerDeps) {
  return async ({ event }: AllMiddlewareArgs & SlackEventMiddlewareArgs<'app_home_opened'>) => {
    if (event.tab !== 'home') return;
    await deps.services.home.opened(event.user);
  };
}

export function registerEvents(app: App, deps: ListenerDeps) {
  app.event('app_home_opened', firstDelivery(deps.services.eventClaims), publishHome(deps));
}
