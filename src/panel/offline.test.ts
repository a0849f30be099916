// The panel while Mattermost is down behind a gateway companion (offline part): no dead end. It says
// messages are saved, shows them as "Saved — we'll answer here", lets the visitor keep writing, and
// shows each message once when Mattermost is back.
import { expect, fixture, html } from '@open-wc/testing';
import 'axe-core';
import type AxeCore from 'axe-core';
import { FakeClock, settle } from '../testing/fake-clock.js';
import { MemoryStorage, testSession } from '../testing/helpers.js';
import { MemoryTransport } from '../transport/memory-transport.js';
import { configurePanel, PortholePanelElement } from './porthole-panel.js';

const $ = (el: PortholePanelElement, sel: string) => el.shadowRoot!.querySelector<HTMLElement>(sel);
const messages = (el: PortholePanelElement) => [...el.shadowRoot!.querySelectorAll<HTMLElement>('[part="message"]')];

async function openPanel(server: MemoryTransport) {
  const clock = new FakeClock();
  configurePanel({ transportFactory: () => server, clock, storage: new MemoryStorage() });
  const el = await fixture<PortholePanelElement>(
    html`<porthole-panel .getToken=${() => testSession({ mode: 'gateway' })}></porthole-panel>`,
  );
  el.open = true;
  await settle();
  await el.updateComplete;
  return { el, clock };
}

async function write(el: PortholePanelElement, text: string) {
  const ta = el.shadowRoot!.querySelector('textarea')!;
  ta.value = text;
  ta.dispatchEvent(new Event('input'));
  ta.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true, cancelable: true }));
  await settle();
  await el.updateComplete;
}

describe('<porthole-panel> with Mattermost down (store and forward)', () => {
  afterEach(() => configurePanel());

  it('says messages are saved instead of the fallback, shows them as saved, and each once when Mattermost is back', async () => {
    const server = new MemoryTransport({ history: [{ text: 'Earlier answer', userId: 'agent' }] });
    const { el, clock } = await openPanel(server);
    expect(messages(el)).to.have.length(1);
    server.chatServerDown = true;
    // Reads fail with mattermost_unavailable: the breaker opens, the notice (not the fallback) shows.
    server.drop();
    server.restore();
    await clock.tick(20_000);
    await el.updateComplete;
    expect($(el, '[part="fallback"]')).to.equal(null);
    const notice = $(el, '[part="offline-notice"]')!;
    expect(notice.getAttribute('role')).to.equal('status');
    expect(notice.textContent).to.contain('we’ll answer here');
    // What was shown stays, and the visitor keeps writing.
    expect(messages(el)[0].textContent).to.contain('Earlier answer');
    await write(el, 'Are you there?');
    await write(el, 'Call me back please');
    const pending = messages(el).slice(1);
    expect(pending.map((m) => m.dataset.state)).to.deep.equal(['queued', 'queued']);
    expect(pending[0].textContent).to.contain('Saved — we’ll answer here.');
    const axe = (window as unknown as { axe: typeof AxeCore }).axe;
    const result = await axe.run(el.shadowRoot!.querySelector('section')!);
    expect(result.violations.map((v) => v.id)).to.deep.equal([]);

    server.chatServerBack();
    await clock.tick(60_000);
    await settle();
    await el.updateComplete;
    expect($(el, '[part="offline-notice"]')).to.equal(null);
    const texts = messages(el).map((m) => [m.querySelector('.text')!.textContent, m.dataset.state]);
    expect(texts).to.deep.equal([
      ['Earlier answer', 'sent'],
      ['Are you there?', 'sent'],
      ['Call me back please', 'sent'],
    ]);
    expect(server.visitorPosts.map((p) => p.text)).to.deep.equal(['Are you there?', 'Call me back please']);
    expect(el.outbox.items).to.have.length(0);
  });
});
