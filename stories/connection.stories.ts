import type { Meta } from '@storybook/web-components-vite';
import { names, shortHistory, type ChatArgs } from './support/fixture.js';
import { chatMeta, chatStory } from './support/meta.js';

// The live connection dropping, the service going away and failing calls: what the visitor sees and which events the page gets.
export default {
  title: 'Connection',
  ...chatMeta,
} satisfies Meta<ChatArgs>;

/** The socket dropped and is coming back: "Reconnecting…" (it stays so in this story). */
export const Reconnecting = chatStory({
  transport: { history: shortHistory, names },
  run: async (c) => {
    await c.openAndLoad();
    c.server.drop();
  },
});

/** The socket drops, then comes back after 3 s; what the agent wrote meanwhile is fetched. */
export const ReconnectAndResync = chatStory({
  transport: { history: shortHistory, names },
  run: async (c) => {
    await c.openAndLoad();
    c.server.drop();
    await c.wait(1000);
    c.server.agentPost('(written while the visitor was disconnected)');
    await c.wait(2000);
    c.server.restore();
  },
});

/**
 * Connection states: the WebSocket alone is down (it gave up: `offline`) while REST works. The
 * visitor sees "Reconnecting…", never the fallback — `connectionState` stays `reconnecting` — and
 * an agent's answer still arrives, fetched over REST (the widget polls about every 10 s while the
 * socket is down). A message the visitor writes goes out over REST.
 */
export const ReconnectingWithRestUp = chatStory({
  transport: { history: shortHistory, names },
  run: async (c) => {
    await c.openAndLoad();
    c.server.drop(true);
    c.server.agentPost('(fetched over REST while the live connection is down)');
  },
});

/**
 * Connection states: the fallback's "Try again" while its probe runs — the button says "Trying
 * again…" (`aria-busy`, `aria-disabled`: it keeps focus, more clicks do nothing) and the status
 * line under it says so too. The probe is held, so it stays in progress.
 */
export const RetryingInProgress = chatStory({
  transport: { history: shortHistory, names },
  run: async (c) => {
    c.server.failNext('latest', 'rejected'); // a refused history opens the fallback at once
    await c.el.open();
    await c.until(() => !!c.panel?.health.open);
    c.server.hold(); // the retry's calls wait: "Trying again…" stays
    void c.panel!.health.retry();
  },
});

/**
 * Connection states: a retry that did not help — "Try again" again, and the status line announces
 * "Still no connection. We keep trying in the background."
 */
export const RetryFailed = chatStory({
  transport: { history: shortHistory, names },
  run: async (c) => {
    c.server.failNext('latest', 'rejected');
    await c.el.open();
    await c.until(() => !!c.panel?.health.open);
    c.server.failNext('latest', 'rejected');
    await c.panel!.health.retry();
  },
});

/**
 * The service is down (every call fails, the socket goes offline): "Reconnecting…" for the 10 s
 * grace period, then the fallback with a retry button and the `fallback-href` link. A message
 * written meanwhile is kept ("Sending…") and goes out when the service is back.
 */
export const OfflineFallback = chatStory({
  transport: { history: shortHistory, names },
  run: async (c) => {
    await c.openAndLoad();
    c.server.down = true;
    c.server.drop(true);
    await c.el.send('Is anyone there?');
  },
});

/** Like OfflineFallback, without a `fallback-href`: no contact link. */
export const OfflineWithoutContactLink = chatStory(
  {
    transport: { history: shortHistory, names },
    run: async (c) => {
      await c.openAndLoad();
      c.server.down = true;
      c.server.drop(true);
    },
  },
  { fallbackHref: '' },
);

/**
 * Errors, then recovery: the first page of history fails three times with 503 (three
 * `porthole-error` events, code `network`) within the grace period, so no fallback opens; the
 * next probe succeeds and the conversation appears. Watch the Actions panel.
 */
export const ServiceErrors = chatStory({
  transport: { history: shortHistory, names },
  run: async (c) => {
    for (let i = 0; i < 3; i++) c.server.failNext('latest', 'unavailable');
    await c.el.open();
  },
});

/**
 * The first page of history is refused (a 4xx, e.g. 403): `porthole-error` (code `network`),
 * and the visitor sees an empty conversation — there is no error UI for this case yet
 * (docs/storybook.md).
 */
export const HistoryRefused = chatStory({
  transport: { history: shortHistory, names },
  run: async (c) => {
    c.server.failNext('latest', 'rejected');
    await c.el.open();
  },
});
