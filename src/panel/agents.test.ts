// Agents and availability in the panel: times, day separators, typing names, faces, the team's availability.
import { expect, fixture, html } from '@open-wc/testing';
import 'axe-core'; // UMD: defines window.axe
import type AxeCore from 'axe-core';
import { FakeClock, settle } from '../testing/fake-clock.js';
import { MemoryStorage, testSession } from '../testing/helpers.js';
import { MemoryTransport } from '../transport/memory-transport.js';
import { configurePanel, PortholePanelElement } from './porthole-panel.js';

const PNG = Uint8Array.from(atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='), (c) =>
  c.charCodeAt(0),
);

async function openPanel(server: MemoryTransport, locale?: string) {
  const clock = new FakeClock();
  configurePanel({ transportFactory: () => server, clock, storage: new MemoryStorage() });
  const el = await fixture<PortholePanelElement>(
    html`<porthole-panel .getToken=${() => testSession()} locale=${locale ?? 'en'}></porthole-panel>`,
  );
  el.open = true;
  await settle();
  await el.updateComplete;
  await settle();
  await el.updateComplete;
  return { el, clock };
}
const $ = <T extends Element = HTMLElement>(el: PortholePanelElement, sel: string) => el.shadowRoot!.querySelector<T>(sel);
const $$ = (el: PortholePanelElement, sel: string) => [...el.shadowRoot!.querySelectorAll<HTMLElement>(sel)];

/** Local noon `days` days before today. */
const noon = (daysAgo: number) => {
  const d = new Date();
  d.setHours(12, 0, 0, 0);
  d.setDate(d.getDate() - daysAgo);
  return d.getTime();
};

describe('<porthole-panel>: agents and availability', () => {
  afterEach(() => configurePanel());

  it('shows each message’s time (full date in the title) and a separator above the first message of each day', async () => {
    const server = new MemoryTransport({
      history: [{ text: 'old' }, { text: 'older same day' }, { text: 'yesterday' }, { text: 'today' }],
    });
    [noon(9), noon(9) + 60_000, noon(1), noon(0)].forEach((at, i) => Object.assign(server.posts[i]!, { createAt: at, updateAt: at }));
    const { el } = await openPanel(server);
    const times = $$(el, '[part="message"] time');
    expect(times).to.have.length(4);
    expect(times[0]!.getAttribute('datetime')).to.equal(new Date(noon(9)).toISOString());
    expect(times[3]!.textContent!.trim()).to.equal(new Intl.DateTimeFormat('en', { timeStyle: 'short' }).format(noon(0)));
    expect(times[3]!.title).to.equal(new Intl.DateTimeFormat('en', { dateStyle: 'full', timeStyle: 'short' }).format(noon(0)));
    const days = $$(el, '[part="day"]').map((d) => d.textContent!.trim());
    expect(days).to.deep.equal([new Intl.DateTimeFormat('en', { dateStyle: 'long' }).format(noon(9)), 'Yesterday', 'Today']);
    expect($$(el, '[part="day"]')[1]!.getAttribute('role')).to.equal('separator');
  });

  it('says Aujourd’hui / Hier in French', async () => {
    const { loadStrings } = await import('../i18n/index.js');
    await loadStrings('fr');
    const server = new MemoryTransport({ history: [{ text: 'a' }, { text: 'b' }] });
    Object.assign(server.posts[0]!, { createAt: noon(1), updateAt: noon(1) });
    const { el } = await openPanel(server, 'fr');
    expect($$(el, '[part="day"]').map((d) => d.textContent!.trim())).to.deep.equal(['Hier', 'Aujourd’hui']);
  });

  it('a new message of the same day adds no separator and re-renders no other message', async () => {
    const server = new MemoryTransport({ history: [{ text: 'first' }] });
    const { el } = await openPanel(server);
    const before = $$(el, '[part="message"]')[0]!;
    const text = before.querySelector('[part="message-text"]')!.firstChild;
    server.agentPost('second');
    await settle();
    await el.updateComplete;
    const after = $$(el, '[part="message"]');
    expect(after).to.have.length(2);
    expect(after[0]).to.equal(before);
    expect(after[0]!.querySelector('[part="message-text"]')!.firstChild).to.equal(text);
    expect($$(el, '[part="day"]')).to.have.length(1);
  });

  it('names who is typing, and falls back to the usual words for someone unknown', async () => {
    const server = new MemoryTransport({ names: { ada: 'Ada Lovelace' } });
    const { el } = await openPanel(server);
    server.agentTyping('ada');
    await settle();
    await el.updateComplete;
    await settle();
    await el.updateComplete;
    expect($(el, '[part="typing"]')!.textContent!.trim()).to.equal('Ada Lovelace is typing…');
    expect(server.calls).to.include('names');
    const other = new MemoryTransport({ names: {} });
    const second = await openPanel(other);
    other.agentTyping('nobody');
    await settle();
    await second.el.updateComplete;
    expect($(second.el, '[part="typing"]')!.textContent!.trim()).to.equal('Someone is typing…');
  });

  it('shows an agent’s face as a blob: URL in a fixed box (no layout shift), initials before and without it, and revokes it on disconnect', async () => {
    const server = new MemoryTransport({
      names: { ada: 'Ada Lovelace', bob: 'Bob' },
      history: [
        { text: 'hi', userId: 'ada' },
        { text: 'yo', userId: 'bob' },
      ],
    });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const avatar = server.avatar.bind(server);
    server.avatar = async (id, signal) => (await held, avatar(id, signal));
    server.avatars.set('ada', new Blob([PNG], { type: 'image/png' }));
    const { el } = await openPanel(server);
    const boxes = () => $$(el, '[part="avatar"]');
    expect(boxes().map((b) => b.textContent!.trim())).to.deep.equal(['AL', 'B']);
    const rect = boxes()[0]!.getBoundingClientRect();
    const message = $$(el, '[part="message"]')[0]!.getBoundingClientRect();
    release();
    await settle();
    await el.updateComplete;
    const img = boxes()[0]!.querySelector('img')!;
    expect(img.src).to.match(/^blob:/);
    expect(img.getAttribute('alt')).to.equal('');
    expect(boxes()[0]!.getAttribute('aria-hidden')).to.equal('true');
    await img.decode();
    const after = boxes()[0]!.getBoundingClientRect();
    expect([after.width, after.height]).to.deep.equal([rect.width, rect.height]);
    expect($$(el, '[part="message"]')[0]!.getBoundingClientRect().height).to.equal(message.height);
    expect(boxes()[1]!.querySelector('img')).to.equal(null, 'no image for Bob: initials stay');
    expect(server.calls.filter((c) => c.startsWith('avatar:'))).to.deep.equal(['avatar:ada', 'avatar:bob'], 'asked once each');
    const url = img.src;
    el.remove();
    const revoked = await fetch(url).then(
      () => false,
      () => true,
    );
    expect(revoked).to.equal(true);
  });

  it('says whether the team is around, with the expected reply, refreshed every minute while open, announced politely', async () => {
    const server = new MemoryTransport();
    server.team = { state: 'away', expectedReply: 'We usually answer within an hour', fields: [], emailReplies: false };
    const { el, clock } = await openPanel(server);
    const line = () => $(el, '[part="availability"]')!;
    expect(line().getAttribute('role')).to.equal('status');
    expect(line().dataset.state).to.equal('away');
    expect(line().textContent!.replace(/\s+/g, ' ').trim()).to.equal('We are away for a moment · We usually answer within an hour');
    server.team = { state: 'online', fields: [], emailReplies: false };
    await clock.tick(59_000);
    await el.updateComplete;
    expect(line().dataset.state).to.equal('away');
    await clock.tick(1_000);
    await el.updateComplete;
    expect(line().dataset.state).to.equal('online');
    expect(line().textContent!.trim()).to.equal('We are online');
    const asked = server.calls.filter((c) => c === 'availability').length;
    el.open = false;
    await el.updateComplete;
    await clock.tick(120_000);
    expect(server.calls.filter((c) => c === 'availability').length).to.equal(asked, 'not asked while closed');
    for (const state of ['offline', 'closed', 'unreachable'] as const) {
      server.team = { state, fields: [], emailReplies: false };
      el.open = true;
      await el.updateComplete;
      await settle();
      await el.updateComplete;
      expect(line().dataset.state).to.equal(state);
      el.open = false;
      await el.updateComplete;
    }
  });

  it('is axe clean with faces, times, separators and the availability line', async () => {
    const server = new MemoryTransport({
      names: { ada: 'Ada' },
      history: [
        { text: 'hi', userId: 'ada' },
        { text: 'me', userId: 'visitor' },
      ],
    });
    Object.assign(server.posts[0]!, { createAt: noon(1), updateAt: noon(1) });
    server.avatars.set('ada', new Blob([PNG], { type: 'image/png' }));
    server.team = { state: 'online', expectedReply: 'Soon', fields: [], emailReplies: false };
    const { el } = await openPanel(server);
    await settle();
    await el.updateComplete;
    const axe = (window as unknown as { axe: typeof AxeCore }).axe;
    const result = await axe.run(el.shadowRoot!.querySelector('section')!);
    expect(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(' | ')}`)).to.deep.equal([]);
  });
});
