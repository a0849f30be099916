// The accent contrast warning (issue 12): an accent without a matching on-accent is reported in the
// console, once per element and colour pair; the defaults and a readable pair say nothing.
import { expect, fixture, html } from '@open-wc/testing';
import '../element/define.js';
import type { PortholeChatElement } from '../element/porthole-chat.js';
import { FakeClock, settle } from '../testing/fake-clock.js';
import { MemoryStorage, testSession } from '../testing/helpers.js';
import { MemoryTransport } from '../transport/memory-transport.js';
import { contrastRatio, luminance, srgb } from './contrast.js';
import { configurePanel } from './porthole-panel.js';

function spyWarn() {
  const calls: string[] = [];
  const orig = console.warn;
  console.warn = (...a: unknown[]) => void calls.push(a.join(' '));
  return { calls, restore: () => (console.warn = orig) };
}

/** A launcher with `style`, opened; resolves once the contrast check (if loaded) has run. */
async function openChat(style = '') {
  configurePanel({ transportFactory: () => new MemoryTransport(), clock: new FakeClock(), storage: new MemoryStorage() });
  const el = await fixture<PortholeChatElement>(html`<porthole-chat style=${style} .getToken=${() => testSession()}></porthole-chat>`);
  await reopen(el);
  return el;
}

async function reopen(el: PortholeChatElement) {
  el.close();
  await el.open();
  await el.shadowRoot!.querySelector('porthole-panel')!.updateComplete;
  // The check's chunk: once this import resolves, the panel's (started first) has run.
  await import('./contrast.js');
  await settle();
}

describe('contrast', () => {
  it('computes WCAG 2 luminance and contrast ratios from any CSS colour syntax', () => {
    expect(srgb('#1a56db')).to.deep.equal([26, 86, 219]);
    expect(srgb('rgb(255 211 61)')).to.deep.equal([255, 211, 61]);
    expect(srgb('oklch(100% 0 0)')).to.deep.equal([255, 255, 255]);
    expect(srgb('color-mix(in srgb, #000 50%, #fff)')).to.deep.equal([128, 128, 128]);
    expect(luminance([0, 0, 0])).to.equal(0);
    expect(luminance([255, 255, 255])).to.equal(1);
    expect(contrastRatio([0, 0, 0], [255, 255, 255])).to.equal(21);
    expect(contrastRatio([255, 255, 255], [26, 86, 219])).to.be.closeTo(6.18, 0.01);
    // The case: a yellow accent under the default white.
    expect(contrastRatio(srgb('#ffd33d'), [255, 255, 255])).to.be.closeTo(1.43, 0.01);
    expect(contrastRatio([26, 86, 219], [255, 255, 255])).to.equal(contrastRatio([255, 255, 255], [26, 86, 219]));
  });
});

describe('<porthole-chat> accent contrast warning', () => {
  let warn: ReturnType<typeof spyWarn>;
  beforeEach(() => {
    warn = spyWarn();
  });
  afterEach(() => {
    warn.restore();
    configurePanel();
  });

  it('warns once per element and colour pair when the on-accent is below 4.5:1 on the accent', async () => {
    const el = await openChat('--porthole-accent: #ffd33d');
    expect(warn.calls).to.have.length(1);
    expect(warn.calls[0]).to.contain('<porthole-chat>: --porthole-on-accent (rgb(255, 255, 255)) on --porthole-accent (rgb(255, 211, 61))');
    expect(warn.calls[0]).to.contain('1.43:1, expected at least 4.5:1');
    // The better of black and white is suggested.
    expect(warn.calls[0]).to.contain('#000 (14.64:1)');
    await reopen(el);
    expect(warn.calls).to.have.length(1);
    // Another pair on the same element is reported too.
    el.style.setProperty('--porthole-on-accent', '#e0e0e0');
    await reopen(el);
    expect(warn.calls).to.have.length(2);
    expect(warn.calls[1]).to.contain('(rgb(224, 224, 224))');
    // And the first pair on another element.
    await openChat('--porthole-accent: #ffd33d');
    expect(warn.calls).to.have.length(3);
  });

  it('says nothing for the default colours, a readable pair, or a fixed pair', async () => {
    await openChat();
    await openChat('--porthole-accent: #0f766e');
    await openChat('--porthole-accent: #ffd33d; --porthole-on-accent: #1f2328');
    expect(warn.calls).to.deep.equal([]);
  });
});
