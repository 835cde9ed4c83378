import type { App } from '@slack/bolt';
import type { HomeTab } from '../jobs/home.js';

export interface HomeListenerDeps {
  home: Pick<HomeTab, 'opened'>;
}

/**
 * App Home: whoever opens vulnbot's Home tab gets it fresh (their open reports, or how to ask
 * for access). The Messages tab sends the same event and needs nothing. Slack retries events;
 * publishing again is harmless.
 */
export function registerHome(app: App, deps: HomeListenerDeps): void {
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab === 'messages') return;
    await deps.home.opened(event.user);
  });
}
