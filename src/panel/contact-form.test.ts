// The contact form (offline part): shown only while the team is not online and the site asks for
// fields, before the visitor's first message; zod-checked email; keyboard; axe; truthful wording;
// the contact travels with the next message only.
import { expect, fixture, html } from '@open-wc/testing';
import 'axe-core';
import type AxeCore from 'axe-core';
import { FakeClock, settle } from '../testing/fake-clock.js';
import { MemoryStorage, testSession } from '../testing/helpers.js';
import { MemoryTransport } from '../transport/memory-transport.js';
import type { Availability } from '../transport/transport.js';
import { checkContact } from './contact-form.js';
import { configurePanel, PortholePanelElement } from './porthole-panel.js';

const $ = <T extends HTMLElement = HTMLElement>(el: PortholePanelElement, sel: string) => el.shadowRoot!.querySelector<T>(sel);

async function openPanel(team: Availability) {
  const server = new MemoryTransport();
  server.team = team;
  const clock = new FakeClock();
  configurePanel({ transportFactory: () => server, clock, storage: new MemoryStorage() });
  const el = await fixture<PortholePanelElement>(
    html`<porthole-panel .getToken=${() => testSession({ mode: 'gateway' })}></porthole-panel>`,
  );
  el.open = true;
  for (let i = 0; i < 5; i++) {
    await settle();
    await el.updateComplete;
  }
  return { el, server, clock };
}

async function write(el: PortholePanelElement, text: string) {
  const ta = $<HTMLTextAreaElement>(el, 'textarea')!;
  ta.value = text;
  ta.dispatchEvent(new Event('input'));
  ta.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true, cancelable: true }));
  await settle();
  await el.updateComplete;
}

async function submit(el: PortholePanelElement, values: { name?: string; email?: string }) {
  const form = $<HTMLFormElement>(el, '[part="contact-form"]')!;
  for (const [k, v] of Object.entries(values)) (form.elements.namedItem(k) as HTMLInputElement).value = v!;
  // Enter in a field submits the form, as a keyboard user would.
  form.querySelector<HTMLButtonElement>('[part="contact-submit"]')!.click();
  await settle();
  await el.updateComplete;
  await el.updateComplete;
}

const offline: Availability = { state: 'offline', fields: ['name', 'email'], emailReplies: true };

describe('contact form', () => {
  afterEach(() => configurePanel());

  it('checks the values like the companion: an email address, a name of at most 64 characters', () => {
    expect(checkContact({ name: ' Ada ', email: 'ada@example.com' })).to.deep.equal({ contact: { name: 'Ada', email: 'ada@example.com' } });
    expect(checkContact({ email: 'not-an-email' })).to.deep.equal({ invalid: 'email' });
    expect(checkContact({ email: 'javascript:alert(1)' })).to.deep.equal({ invalid: 'email' });
    expect(checkContact({ name: 'x'.repeat(65) })).to.deep.equal({ invalid: 'name' });
    expect(checkContact({ name: '', email: '' })).to.deep.equal({ contact: {} });
  });

  it('is not shown (nor loaded) while the team is online, or when the site asks for no fields', async () => {
    for (const team of [
      { state: 'online', fields: ['name', 'email'], emailReplies: true },
      { state: 'offline', fields: [], emailReplies: false },
    ] as Availability[]) {
      const { el } = await openPanel(team);
      expect($(el, '[part="contact-form"]')).to.equal(null);
    }
  });

  it('shows labelled fields when nobody is online, refuses a bad email with a reason and focus, and sends the contact with the first message only', async () => {
    const { el, server } = await openPanel(offline);
    const form = $(el, '[part="contact-form"]')!;
    expect(form).to.not.equal(null);
    expect(form.textContent).to.contain('we’ll answer here, and by email if you give one');
    const axe = (window as unknown as { axe: typeof AxeCore }).axe;
    expect((await axe.run(el.shadowRoot!.querySelector('section')!)).violations.map((v) => v.id)).to.deep.equal([]);

    await submit(el, { name: 'Ada', email: 'ada@' });
    const error = $(el, '[part="contact-error"]')!;
    expect(error.getAttribute('role')).to.equal('alert');
    const email = $<HTMLInputElement>(el, 'input[name="email"]')!;
    expect(email.getAttribute('aria-invalid')).to.equal('true');
    expect(email.getAttribute('aria-describedby')).to.equal(error.id);
    expect(el.shadowRoot!.activeElement).to.equal(email);
    expect((await axe.run(el.shadowRoot!.querySelector('section')!)).violations.map((v) => v.id)).to.deep.equal([]);

    await submit(el, { name: 'Ada', email: 'ada@example.com' });
    expect($(el, '[part="contact-form"]')).to.equal(null);
    expect($(el, '[part="contact-thanks"]')!.textContent).to.contain('we’ll answer here and by email');
    expect(el.shadowRoot!.activeElement).to.equal($(el, 'textarea'));

    await write(el, 'Please call me back');
    await write(el, 'Second message');
    expect(server.contacts.map((c) => c.contact)).to.deep.equal([{ name: 'Ada', email: 'ada@example.com' }]);
    expect(server.contacts[0].clientId).to.equal(server.visitorPosts[0].clientId);
    expect($(el, '[part="contact-thanks"]')).to.equal(null);
  });

  it('never promises email replies the site does not make, nor without an email', async () => {
    const noEmail = await openPanel({ state: 'closed', fields: ['name', 'email'], emailReplies: false });
    expect($(noEmail.el, '#contact-intro')!.textContent).to.not.contain('by email');
    await submit(noEmail.el, { email: 'ada@example.com' });
    expect($(noEmail.el, '[part="contact-thanks"]')!.textContent).to.not.contain('by email');

    const nameOnly = await openPanel(offline);
    await submit(nameOnly.el, { name: 'Ada' });
    expect($(nameOnly.el, '[part="contact-thanks"]')!.textContent).to.not.contain('by email');
  });

  it('can be skipped: nothing travels with the message', async () => {
    const { el, server } = await openPanel({ state: 'away', fields: ['email'], emailReplies: false });
    expect($(el, 'input[name="name"]')).to.equal(null);
    $<HTMLButtonElement>(el, '[part="contact-skip"]')!.click();
    await el.updateComplete;
    expect($(el, '[part="contact-form"]')).to.equal(null);
    await write(el, 'hello');
    expect(server.contacts).to.deep.equal([]);
    expect(server.visitorPosts).to.have.length(1);
  });
});
