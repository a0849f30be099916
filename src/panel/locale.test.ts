import { expect, fixture, html } from '@open-wc/testing';
import { settle } from '../testing/fake-clock.js';
import { MemoryStorage, testSession } from '../testing/helpers.js';
import { MemoryTransport } from '../transport/memory-transport.js';
import { configurePanel, type PanelLauncher, type PortholePanelElement } from './porthole-panel.js';

const $ = <T extends Element = HTMLElement>(el: PortholePanelElement, sel: string) => el.shadowRoot!.querySelector<T>(sel)!;

async function panel(props: Partial<PortholePanelElement>): Promise<PortholePanelElement> {
  configurePanel({ transportFactory: () => new MemoryTransport(), storage: new MemoryStorage() });
  const el = await fixture<PortholePanelElement>(html`<porthole-panel .getToken=${() => testSession()}></porthole-panel>`);
  Object.assign(el, props);
  await settle();
  await el.updateComplete;
  return el;
}

describe('<porthole-panel> locales', () => {
  afterEach(() => configurePanel());

  for (const [locale, title] of [
    ['ar', 'تحدّث معنا'],
    ['he', 'דברו איתנו'],
  ] as const)
    it(`${locale}: the widget's content is right to left, in its language`, async () => {
      const el = await panel({ locale, open: true });
      const dialog = $(el, '[role="dialog"]');
      expect(dialog.getAttribute('dir')).to.equal('rtl');
      expect(dialog.getAttribute('lang')).to.equal(locale);
      expect($(el, 'h2').textContent).to.equal(title);
      // Logical properties: the composer's send button sits at the inline end, which is the left in RTL.
      const send = $(el, '[part="send"]').getBoundingClientRect();
      const input = $(el, '[part="input"]').getBoundingClientRect();
      expect(send.right).to.be.at.most(input.left + 1);
    });

  it('other locales are left to right, even on a right-to-left page', async () => {
    document.documentElement.dir = 'rtl';
    try {
      const el = await panel({ locale: 'fr', open: true });
      expect($(el, '[role="dialog"]').getAttribute('dir')).to.equal('ltr');
      const send = $(el, '[part="send"]').getBoundingClientRect();
      const input = $(el, '[part="input"]').getBoundingClientRect();
      expect(send.left).to.be.at.least(input.right - 1);
    } finally {
      document.documentElement.removeAttribute('dir');
    }
  });

  it('`strings` overrides the texts, and a change applies at once', async () => {
    const el = await panel({ locale: 'es', strings: { title: 'Pregúntanos' } });
    expect($(el, 'h2').textContent).to.equal('Pregúntanos');
    expect($(el, '[part="send"]').textContent).to.equal('Enviar');
    el.strings = { send: 'Mandar' };
    await el.updateComplete;
    expect($(el, 'h2').textContent).to.equal('Chatea con nosotros');
    expect($(el, '[part="send"]').textContent).to.equal('Mandar');
    el.strings = undefined;
    await el.updateComplete;
    expect($(el, '[part="send"]').textContent).to.equal('Enviar');
  });

  it("announces once that English shows for the launcher's language without built-in strings", async () => {
    const infos: string[] = [];
    const original = console.info;
    console.info = (...args: unknown[]) => void infos.push(args.join(' '));
    try {
      const launcher = Object.assign(document.createElement('div'), { close() {} }) as PanelLauncher;
      launcher.setAttribute('locale', 'sw');
      // The launcher gives the panel a built-in locale (English for an unknown one); the panel reads what was asked.
      const el = await panel({ launcher, locale: 'en' });
      el.heading = 'Hujambo';
      await el.updateComplete;
      expect($(el, 'h2').textContent).to.equal('Hujambo');
    } finally {
      console.info = original;
    }
    expect(infos).to.deep.equal(['<porthole-chat>: no built-in strings for "sw", showing English; set `strings` to translate']);
  });
});
