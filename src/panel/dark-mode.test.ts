// Dark mode (issue 12): the panel follows prefers-color-scheme by default, a site forces one with
// --porthole-color-scheme or sets any colour; text keeps 4.5:1 on the surface and the bubbles.
import { expect, fixture, html } from '@open-wc/testing';
import { emulateMedia } from '@web/test-runner-commands';
import { FakeClock, settle } from '../testing/fake-clock.js';
import { MemoryStorage, testSession } from '../testing/helpers.js';
import { MemoryTransport } from '../transport/memory-transport.js';
import { contrastRatio, srgb } from './contrast.js';
import { configurePanel, type PortholePanelElement } from './porthole-panel.js';

/** A panel open on a conversation with a link from the team, inside a wrapper styled `style`. */
async function openPanel(style = '') {
  const server = new MemoryTransport({
    history: [
      { text: 'Hello, see https://example.com', userId: 'agent' },
      { text: 'Thanks', userId: 'visitor' },
    ],
  });
  const clock = new FakeClock();
  configurePanel({ transportFactory: () => server, clock, storage: new MemoryStorage() });
  const wrapper = await fixture<HTMLElement>(
    html`<div style=${style}><porthole-panel .getToken=${() => testSession()}></porthole-panel></div>`,
  );
  const el = wrapper.querySelector('porthole-panel')!;
  el.open = true;
  await settle();
  await el.updateComplete;
  server.agentTyping();
  await el.updateComplete;
  return { el, clock, server };
}

const $ = (el: PortholePanelElement, sel: string) => el.shadowRoot!.querySelector<HTMLElement>(sel)!;
const css = (e: Element) => getComputedStyle(e);
const ratio = (a: string, b: string) => contrastRatio(srgb(a), srgb(b));

describe('<porthole-panel> dark mode', () => {
  afterEach(async () => {
    configurePanel();
    await emulateMedia({ colorScheme: 'light' });
  });

  it('is light by default in a light preference', async () => {
    await emulateMedia({ colorScheme: 'light' });
    const { el } = await openPanel();
    expect(css($(el, 'section')).backgroundColor).to.equal('rgb(255, 255, 255)');
    expect(css($(el, 'section')).color).to.equal('rgb(31, 35, 40)');
    expect(css(el).colorScheme).to.equal('light dark');
  });

  it('follows a dark preference, with text at 4.5:1 or more on the surface, the bubbles and the fallback', async () => {
    await emulateMedia({ colorScheme: 'dark' });
    const { el, clock, server } = await openPanel();
    const surface = css($(el, 'section')).backgroundColor;
    expect(surface).to.equal('rgb(22, 27, 34)');
    const agent = $(el, '[part="message"][data-from="agent"]');
    const visitor = $(el, '[part="message"][data-from="visitor"]');
    const pairs: Array<[string, Element, string]> = [
      ['text on the surface', $(el, 'section'), surface],
      ['typing line (muted) on the surface', $(el, '[part="typing"]'), surface],
      ['team message on its bubble', agent, css(agent).backgroundColor],
      ['link in a team message', agent.querySelector('a')!, css(agent).backgroundColor],
      ['visitor message on the accent', visitor, css(visitor).backgroundColor],
      ['input text on the input', $(el, 'textarea'), css($(el, 'textarea')).backgroundColor],
    ];
    const low = (list: typeof pairs) => list.map(([what, e, bg]) => [what, ratio(css(e).color, bg)] as const).filter(([, r]) => r < 4.5);
    expect(low(pairs)).to.deep.equal([]);
    // The team's bubble differs from the surface; a focus ring keeps 3:1 on it.
    expect(css(agent).backgroundColor).to.not.equal(surface);
    const input = $(el, 'textarea');
    input.focus();
    expect(ratio(css(input).outlineColor, surface)).to.be.at.least(3);
    // The fallback.
    server.down = true;
    el.health.failure(true);
    await clock.tick(0);
    await el.updateComplete;
    const fallback = $(el, '[part="fallback"]');
    const fbg = css(fallback).backgroundColor;
    expect(fbg).to.not.equal('rgb(255, 244, 229)');
    expect(low([['fallback text', fallback, fbg]])).to.deep.equal([]);
  });

  it('lets the site force a scheme with --porthole-color-scheme, and any colour override wins', async () => {
    await emulateMedia({ colorScheme: 'dark' });
    const light = await openPanel('--porthole-color-scheme: light');
    expect(css($(light.el, 'section')).backgroundColor).to.equal('rgb(255, 255, 255)');
    expect(css($(light.el, 'textarea')).colorScheme).to.equal('light');
    const surface = await openPanel('--porthole-surface: #202020');
    expect(css($(surface.el, 'section')).backgroundColor).to.equal('rgb(32, 32, 32)');
    // The bubble still follows the scheme.
    expect(css($(surface.el, '[part="message"][data-from="agent"]')).backgroundColor).to.equal('rgb(38, 44, 54)');
    await emulateMedia({ colorScheme: 'light' });
    const dark = await openPanel('--porthole-color-scheme: dark');
    expect(css($(dark.el, 'section')).backgroundColor).to.equal('rgb(22, 27, 34)');
  });
});
