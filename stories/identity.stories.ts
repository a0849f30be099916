import type { Meta } from '@storybook/web-components-vite';
import type { ChatArgs } from './support/fixture.js';
import { chatMeta, chatStory } from './support/meta.js';

// Getting the visitor's session: the host's `getToken()` refusing the visitor (a 401 from the host's own back end).
export default {
  title: 'Identity',
  ...chatMeta,
} satisfies Meta<ChatArgs>;

/**
 * The host's `getToken()` throws because its back end answered 401: tried three times with
 * backoff, then `porthole-error` (code `host_callback`) and the fallback UI.
 */
export const RefusedGetTokenThrows = chatStory({
  getToken: () => {
    throw new Error('401 Unauthorized: the visitor is not signed in');
  },
  run: (c) => c.el.open(),
});

/**
 * The host's `getToken()` passes its back end's 401 body through instead of a session: refused
 * at once as `invalid_response` (not retried), then the fallback UI.
 */
export const RefusedGetTokenReturns401 = chatStory({
  getToken: () => ({ status: 401, error: 'unauthorized' }),
  run: (c) => c.el.open(),
});
