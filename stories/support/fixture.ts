// Builds one <porthole-chat> for a story: a fresh MemoryTransport (the in-memory backend the
// unit tests use), a session that points the panel at it, the theme and locale from the story's
// args, and the widget's events logged to Storybook's Actions panel. No server, no network.
import { action } from 'storybook/actions';
import type {} from '../../src/element/define.js';
import { LOCALES, type Locale } from '../../src/i18n/locales.js';
import { PortholeChatElement } from '../../src/exports.js';
import type { PortholePanelElement } from '../../src/panel/porthole-panel.js';
import { MemoryTransport, type MemoryTransportOptions } from '../../src/transport/memory-transport.js';
import type { Session, TransportFactory } from '../../src/transport/transport.js';

// Registered here rather than by importing src/element/define.ts: package.json's "sideEffects"
// lists only dist/ files, so the bundler drops a bare side-effect import of a source module.
if (!customElements.get('porthole-chat')) customElements.define('porthole-chat', PortholeChatElement);

/** The theme and locale controls every story shares (see `themeArgTypes`). */
export interface ChatArgs {
  /** `--porthole-accent`. */
  accent: string;
  /** `--porthole-on-accent`. */
  onAccent: string;
  /** `--porthole-radius`, in px. */
  radius: number;
  /** `--porthole-font`, one of FONTS. */
  font: keyof typeof FONTS;
  /** The dark set from stories/support/dark-theme.css (`color-scheme: dark` and `::part` rules). */
  dark: boolean;
  /** The `position` attribute. */
  position: 'bottom-right' | 'bottom-left';
  /** The `locale` attribute. */
  locale: Locale;
  /** `dir` of the page around the widget (an RTL check). */
  dir: 'ltr' | 'rtl';
  /** The `title` attribute; empty = the locale's default. */
  title: string;
  /** The `fallback-href` attribute. */
  fallbackHref: string;
}

/** `--porthole-font` choices: system fonts only, so the build and the canvas stay offline. */
export const FONTS = {
  default: '',
  serif: '16px/1.5 Georgia, "Times New Roman", serif',
  rounded: '15px/1.45 ui-rounded, "SF Pro Rounded", system-ui, sans-serif',
  mono: '14px/1.5 ui-monospace, "SFMono-Regular", Menlo, monospace',
  large: '18px/1.5 system-ui, sans-serif',
} as const;

export const defaultArgs: ChatArgs = {
  accent: '#1a56db',
  onAccent: '#ffffff',
  radius: 12,
  font: 'default',
  dark: false,
  position: 'bottom-right',
  locale: 'en',
  dir: 'ltr',
  title: '',
  fallbackHref: 'mailto:help@example.com',
};

export const themeArgTypes = {
  accent: { control: 'color', description: '`--porthole-accent`', table: { category: 'Theme' } },
  onAccent: { control: 'color', description: '`--porthole-on-accent`', table: { category: 'Theme' } },
  radius: { control: { type: 'range', min: 0, max: 24, step: 1 }, description: '`--porthole-radius` (px)', table: { category: 'Theme' } },
  font: { control: 'select', options: Object.keys(FONTS), description: '`--porthole-font`', table: { category: 'Theme' } },
  dark: {
    control: 'boolean',
    description: 'Dark set: `color-scheme: dark` + `::part` rules (docs/theming.md)',
    table: { category: 'Theme' },
  },
  position: {
    control: 'inline-radio',
    options: ['bottom-right', 'bottom-left'],
    description: '`position` attribute',
    table: { category: 'Theme' },
  },
  locale: { control: 'select', options: LOCALES, description: '`locale` attribute', table: { category: 'Locale' } },
  dir: { control: 'inline-radio', options: ['ltr', 'rtl'], description: '`dir` of the page', table: { category: 'Locale' } },
  title: { control: 'text', description: '`title` attribute (empty: the locale default)', table: { category: 'Content' } },
  fallbackHref: { control: 'text', description: '`fallback-href` attribute', table: { category: 'Content' } },
} as const;

/** What a story's scenario can drive. */
export interface ChatContext {
  el: PortholeChatElement;
  /** The other side: agents, the socket, the service (see src/transport/memory-transport.ts). */
  server: MemoryTransport;
  /** The panel once loaded (after `open()`). */
  readonly panel: PortholePanelElement | null;
  /** Opens the chat and waits for the first page of history. */
  openAndLoad(): Promise<void>;
  /** Resolves once `check()` is true (polls each frame); rejects after `ms`. */
  until(check: () => boolean, ms?: number): Promise<void>;
  /** Calls `fn` every `ms` while the widget is on the page. */
  every(ms: number, fn: () => void): void;
  /** Waits `ms` (stops the scenario quietly when the story was left). */
  wait(ms: number): Promise<void>;
}

export interface Scenario {
  /** The channel's history and display names. */
  transport?: MemoryTransportOptions;
  /** Replaces the host `getToken()` (default: a valid session for this story's transport). */
  getToken?: (session: Session) => unknown;
  /** Drives the story after the widget is on the page. */
  run?: (ctx: ChatContext) => void | Promise<void>;
  /** Extra page content (e.g. buttons of the playground). */
  aside?: (ctx: ChatContext) => HTMLElement;
}

const EVENTS = [
  'porthole-open',
  'porthole-close',
  'porthole-message',
  'porthole-message-sent',
  'porthole-state-change',
  'porthole-error',
  'porthole-conversation-erased',
  'porthole-unread-change',
] as const;

// Each story gets its own transport; the panel finds it by the session's channel id. The one
// configurePanel() call (.storybook/preview.ts) uses this factory, as the unit tests do.
const servers = new Map<string, MemoryTransport>();
let stories = 0;

/** The transport factory Storybook passes to configurePanel(). */
export const storyTransportFactory: TransportFactory = (session) => {
  const server = servers.get(session.channelId);
  if (!server)
    throw new Error(`stories: no MemoryTransport for channel ${JSON.stringify(session.channelId)}; build the story with mountChat()`);
  return server;
};

/** A story's page; `storyDone` settles once its scenario has played. */
export type StoryPage = HTMLElement & { storyDone: Promise<void> };

/** A page with one <porthole-chat> in the given theme, running `scenario`. */
export function mountChat(args: ChatArgs, scenario: Scenario = {}): StoryPage {
  const channelId = `story-${++stories}`;
  const server = new MemoryTransport(scenario.transport);
  servers.set(channelId, server);
  const session: Session = {
    mode: 'direct',
    serverUrl: 'https://chat.example.invalid',
    token: `token-${channelId}`,
    expiresAt: Date.now() + 3600_000,
    userId: server.userId,
    channelId,
  };

  const page = document.createElement('div');
  page.className = 'story-page' + (args.dark ? ' story-dark' : '');
  page.dir = args.dir;
  page.dataset.position = args.position;
  page.innerHTML =
    '<main><h1>Northwind Outfitters</h1><p>An example page around the widget. The launcher sits in the corner ' +
    'chosen by <code>position</code>; every event the widget dispatches is logged in the Actions panel.</p></main>';

  const el = document.createElement('porthole-chat');
  if (args.dark) el.classList.add('porthole-dark');
  el.setAttribute('locale', args.locale);
  el.setAttribute('position', args.position);
  if (args.title) el.setAttribute('title', args.title);
  if (args.fallbackHref) el.setAttribute('fallback-href', args.fallbackHref);
  el.style.setProperty('--porthole-accent', args.accent);
  el.style.setProperty('--porthole-on-accent', args.onAccent);
  el.style.setProperty('--porthole-radius', `${args.radius}px`);
  if (FONTS[args.font]) el.style.setProperty('--porthole-font', FONTS[args.font]);
  const getToken = scenario.getToken;
  el.getToken = getToken ? () => getToken(session) : () => session;
  for (const name of EVENTS) el.addEventListener(name, (e) => action(name)((e as CustomEvent).detail));

  const gone = () => !el.isConnected;
  const ctx: ChatContext = {
    el,
    server,
    get panel() {
      return el.shadowRoot!.querySelector('porthole-panel');
    },
    async openAndLoad() {
      await el.open();
      await ctx.until(() => !!ctx.panel?.conversation.loaded);
      await ctx.panel!.updateComplete;
    },
    until(check, ms = 10_000) {
      const end = performance.now() + ms;
      return new Promise<void>((resolve, reject) => {
        const poll = () => {
          if (gone()) return; // the story was left: stop quietly
          if (check()) resolve();
          else if (performance.now() > end) reject(new Error(`story: condition not met within ${ms} ms: ${check}`));
          else requestAnimationFrame(poll);
        };
        poll();
      });
    },
    every(ms, fn) {
      const id = setInterval(() => (gone() ? clearInterval(id) : fn()), ms);
    },
    wait(ms) {
      return new Promise((resolve) => setTimeout(() => !gone() && resolve(), ms));
    },
  };

  if (scenario.aside) page.append(scenario.aside(ctx));
  page.append(el);
  // Run once the page is in the document (Storybook attaches the returned node after render).
  // `storyDone` settles once the scenario has played (stories/a11y.test.ts checks each story's state then).
  let played!: () => void;
  const storyDone = new Promise<void>((resolve) => (played = resolve));
  requestAnimationFrame(() => {
    if (gone()) return played();
    Promise.resolve(scenario.run?.(ctx))
      .catch((e) => console.error('story scenario failed:', e))
      .finally(played);
  });
  // Forget the transport when the story is left (the panel's controllers close the socket).
  new MutationObserver((_, obs) => {
    if (!gone()) return;
    servers.delete(channelId);
    obs.disconnect();
  }).observe(document.body, { childList: true, subtree: true });
  return Object.assign(page, { storyDone });
}

/** A conversation of `count` messages alternating between the visitor and agents, oldest first. */
export function longHistory(count: number): NonNullable<MemoryTransportOptions['history']> {
  const visitor = [
    'Hi! I ordered a tent last week and it has not shipped yet.',
    'Order #10{n}.',
    'Thanks. Can I change the delivery address?',
    'It is 12 Rue des Lilas, 75011 Paris.\nSecond floor, code 4821.',
    'Great, thank you!',
    'One more thing: do you sell replacement poles?',
  ];
  const agents = [
    'Hello! Sorry about the wait. Could you give me your order number?',
    'Found it: it leaves our warehouse tomorrow morning. Tracking: https://example.com/track/NW{n}.',
    'Sure, what is the new address?',
    'Done. You will get a confirmation at the address on your account.',
    'Yes, see https://example.com/parts (section "Poles"), or write to mailto:parts@example.com.',
    'Anything else I can help with?',
  ];
  const history: NonNullable<MemoryTransportOptions['history']> = [];
  for (let i = 0; i < count; i++) {
    const agent = i % 2 === 1;
    const lines = agent ? agents : visitor;
    history.push({
      text: lines[Math.floor(i / 2) % lines.length].replace('{n}', String(1000 + i)),
      userId: agent ? (i % 12 === 1 ? 'agent2' : 'agent') : 'visitor',
    });
  }
  return history;
}

/** A short, typical conversation. */
export const shortHistory: NonNullable<MemoryTransportOptions['history']> = [
  { text: 'Hi there 👋 How can we help?', userId: 'agent' },
  { text: 'Hello! Where can I see the status of my order?', userId: 'visitor' },
  { text: 'You can follow it at https://example.com/orders — or give me the number and I will check.', userId: 'agent' },
];

export const names = { agent: 'Alex', agent2: 'Sam' };
