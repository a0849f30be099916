// The panel's connection states (issue 12): a socket-only drop is "Reconnecting…", never the
// fallback; the state always returns to `online`; "Try again" shows progress and its outcome.
import { expect, fixture, html } from '@open-wc/testing';
import 'axe-core';
import type AxeCore from 'axe-core';
import { FakeClock, settle } from '../testing/fake-clock.js';
import { MemoryStorage, testSession } from '../testing/helpers.js';
import { MemoryTransport } from '../transport/memory-transport.js';
import { configurePanel, PortholePanelElement } from './porthole-panel.js';

const $ = <T extends Element = HTMLElement>(el: PortholePanelElement, sel: string) => el.shadowRoot!.querySelector<T>(sel);

async function openPanel(server: MemoryTransport) {
  const clock = new FakeClock();
  configurePanel({ transportFactory: () => server, clock, storage: new MemoryStorage() });
  const el = await fixture<PortholePanelElement>(html`<porthole-panel .getToken=${() => testSession()}></porthole-panel>`);
  const states: string[] = [];
  el.addEventListener('porthole-state-change', (e) => states.push(e.detail.state));
  el.open = true;
  await settle();
  await el.updateComplete;
  return { el, clock, states };
}

async function rendered(el: PortholePanelElement) {
  await settle();
  await el.updateComplete;
}

describe('<porthole-panel> connection states', () => {
  afterEach(() => configurePanel());

  it('a socket-only drop while REST works says "Reconnecting…", never the fallback, and returns to online', async () => {
    const server = new MemoryTransport({ history: [{ text: 'hello', userId: 'agent' }] });
    const { el, clock, states } = await openPanel(server);
    server.drop(true); // the socket gives up: offline
    server.agentPost('arrives over REST');
    await clock.tick(60_000);
    await rendered(el);
    expect($(el, '[part="fallback"]')).to.equal(null);
    expect($(el, '[part="status"]')!.textContent).to.equal('Reconnecting…');
    expect($(el, '[part="log"]')!.textContent).to.contain('arrives over REST');
    server.restore();
    await rendered(el);
    expect($(el, '[part="status"]')).to.equal(null);
    expect(states).to.deep.equal(['connecting', 'online', 'reconnecting', 'online']);
  });

  it('"Try again" says it is trying, keeps focus, ignores more clicks, and announces the outcome', async () => {
    const server = new MemoryTransport({ history: [{ text: 'earlier' }] });
    server.failNext('latest', 'rejected');
    const { el, states } = await openPanel(server);
    expect($(el, '[part="fallback"]')).to.not.equal(null);
    expect(states.at(-1)).to.equal('offline');
    const button = $<HTMLButtonElement>(el, '[part="retry"]')!;
    const status = $(el, '.retried')!;
    expect(status.getAttribute('role')).to.equal('status');
    expect(status.textContent!.trim()).to.equal('');

    // Still refused: trying, then "still no connection".
    server.failNext('latest', 'rejected');
    const release = server.hold();
    button.focus();
    button.click();
    await rendered(el);
    expect($(el, '[part="retry"]'), 'the same button: focus stays').to.equal(button);
    expect(el.shadowRoot!.activeElement).to.equal(button);
    expect(button.textContent!.trim()).to.equal('Trying again…');
    expect(button.getAttribute('aria-busy')).to.equal('true');
    expect(button.getAttribute('aria-disabled')).to.equal('true');
    expect(status.textContent!.trim()).to.equal('Trying again…');
    const asked = server.calls.length;
    button.click();
    await settle();
    expect(server.calls.length, 'a second click while trying asks nothing').to.equal(asked);
    const axe = (window as unknown as { axe: typeof AxeCore }).axe;
    const violations = await axe.run(el.shadowRoot!.querySelector('section')!, { resultTypes: ['violations'] });
    expect(violations.violations.map((v) => v.id)).to.deep.equal([]);
    release();
    await rendered(el);
    expect(button.textContent!.trim()).to.equal('Try again');
    expect(button.getAttribute('aria-busy')).to.equal('false');
    expect(status.textContent!.trim()).to.equal('Still no connection. We keep trying in the background.');

    // Back: the fallback goes and the state is online again.
    button.click();
    await rendered(el);
    expect($(el, '[part="fallback"]')).to.equal(null);
    expect(states.at(-1)).to.equal('online');
  });
});
