import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import { configurePanel, PortholePanelElement } from '../../panel/porthole-panel.js';
import { FakeClock, settle } from '../../testing/fake-clock.js';
import { MemoryStorage, testSession } from '../../testing/helpers.js';
import { MemoryTransport } from '../../transport/memory-transport.js';
import { needsMarkdown } from './loader.js';

// In a file of its own: the chunks are loaded once per page, and the first test needs a page
// that has not loaded them yet.

/** Requests for the markdown chunk and the emoji sub-chunk (by module URL) so far. */
const requested = () =>
  performance
    .getEntriesByType('resource')
    .map((e) => new URL(e.name).pathname)
    .filter((p) => /\/render\/markdown\/(markdown|emoji|emoji-table)\.(ts|js)$/.test(p));

async function openPanel(server: MemoryTransport) {
  configurePanel({ transportFactory: () => server, clock: new FakeClock(), storage: new MemoryStorage() });
  const el = await fixture<PortholePanelElement>(html`<porthole-panel .getToken=${() => testSession()}></porthole-panel>`);
  el.open = true;
  await settle();
  await el.updateComplete;
  return el;
}

const texts = (el: PortholePanelElement) => [...el.shadowRoot!.querySelectorAll('[part="message-text"]')];

describe('the markdown chunk, loaded lazily', () => {
  afterEach(() => configurePanel());

  it('tells markdown from plain text cheaply', () => {
    for (const plain of [
      'Hello! Can you help me?',
      'Price: 10 - 20 €, see https://example.com/a',
      '@ada ~town-square 3+4=7',
      'a (b) [c] #1',
    ])
      expect(needsMarkdown(plain), plain).to.equal(false);
    for (const md of ['**b**', '_i_', '`c`', '~~s~~', '[l](https://x.y)', '# h', '> q', '- a', '1. a', '| a |', ':smile:'])
      expect(needsMarkdown(md), md).to.equal(true);
  });

  it('a plain-text conversation never requests it', async () => {
    const server = new MemoryTransport({ history: [{ text: 'Hello, how can we help?' }, { text: 'See https://example.com' }] });
    const el = await openPanel(server);
    server.agentPost('Still there?');
    await settle();
    await el.updateComplete;
    expect(texts(el).map((t) => t.textContent)).to.deep.equal(['Hello, how can we help?', 'See https://example.com', 'Still there?']);
    await new Promise((r) => setTimeout(r, 100));
    expect(requested()).to.deep.equal([]);
  });

  it('a markdown message shows as text, loads the chunk once, then re-renders as markdown', async () => {
    const server = new MemoryTransport({ history: [{ text: 'plain' }, { text: '**bold** and `code`' }, { text: '_more_' }] });
    const el = await openPanel(server);
    const [, first] = texts(el);
    expect(first.querySelector('strong'), 'plain text until the chunk is here').to.equal(null);
    expect(first.textContent).to.equal('**bold** and `code`');
    await waitUntil(() => el.shadowRoot!.querySelector('strong'), 'the message re-renders once the chunk is here');
    expect(texts(el)[1].querySelector('strong')!.textContent).to.equal('bold');
    expect(texts(el)[2].querySelector('em')!.textContent).to.equal('more');
    expect(texts(el)[0].textContent).to.equal('plain');
    expect(requested().filter((p) => /markdown\.(ts|js)$/.test(p))).to.have.length(1);
    expect(
      requested().some((p) => /emoji/.test(p)),
      'no shortcode: no emoji table',
    ).to.equal(false);
    // The page can style the new parts (porthole-chat::part(code-block)…): the panel exports them.
    for (const part of ['code', 'code-block', 'quote', 'list', 'table', 'heading'])
      expect(el.getAttribute('exportparts')!.split(','), part).to.include(part);
    // The chunk's styles are in the panel's shadow root: a code span has its background.
    expect(getComputedStyle(texts(el)[1].querySelector('code')!).backgroundColor).to.not.equal('rgba(0, 0, 0, 0)');
  });

  it('a shortcode loads the emoji sub-chunk once; visitor messages render the same way', async () => {
    const server = new MemoryTransport({ history: [{ text: 'hi :smile: :not_an_emoji:' }] });
    const el = await openPanel(server);
    await waitUntil(() => texts(el)[0]?.textContent === 'hi 😄 :not_an_emoji:', 'the emoji arrives');
    const ta = el.shadowRoot!.querySelector('textarea')!;
    ta.value = 'thanks **a lot** :+1:';
    ta.dispatchEvent(new Event('input'));
    ta.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true, cancelable: true }));
    await settle();
    await el.updateComplete;
    const mine = texts(el).at(-1)!;
    expect(mine.querySelector('strong')!.textContent).to.equal('a lot');
    expect(mine.textContent).to.equal('thanks a lot 👍');
    expect(requested().filter((p) => /emoji\.(ts|js)$/.test(p))).to.have.length(1);
  });
});
