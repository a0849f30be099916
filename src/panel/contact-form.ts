// The pre-chat / offline contact form (offline part): a lazy chunk, loaded only when the team is not
// online (availability `away`, `offline`, `closed` or `unreachable`) and the site asks for fields
// (PORTHOLE_CONTACT_FIELDS). Shown before the visitor's first message; what it collects travels with
// that message (`contact` of POST /v1/messages; direct mode: the first line of the post).
import { css, html, type TemplateResult } from 'lit';
import * as z from 'zod/mini';
import type { Availability, ContactDetails } from '../transport/transport.js';
import { contactFormStrings } from './contact-form.strings.js';
import type { PortholePanelElement } from './porthole-panel.js';

const styles = css`
  .contact {
    display: flex;
    flex-direction: column;
    gap: 6px;
    margin: 0 12px 8px;
    padding: 8px 10px;
    border: 1px solid var(--bo);
    border-radius: 8px;
    font-size: 0.9em;
  }
  .contact p {
    margin: 0;
  }
  .contact label {
    display: flex;
    flex-direction: column;
    gap: 2px;
  }
  .contact input {
    font: inherit;
    padding: 4px 6px;
  }
  .contact [aria-invalid='true'] {
    outline: 2px solid #d1242f;
  }
  .contact .err {
    font-weight: 600;
  }
  .contact .row {
    display: flex;
    gap: 8px;
  }
`;

/** The email as the companion checks it (zod's email format; at most 254 characters, checked below). */
const emailSchema = z.email();

/** Whether the form is for this availability: the team is not online and the site asks for fields. */
export const wantsContactForm = (a: Availability | undefined): boolean => !!a && a.fields.length > 0 && a.state !== 'online';

/** Checks the form's values: the contact to send (empty fields left out), or which field is wrong. */
export function checkContact(values: { name?: string; email?: string }): { contact: ContactDetails } | { invalid: 'name' | 'email' } {
  const name = values.name?.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  const email = values.email?.trim();
  if (name && [...name].length > 64) return { invalid: 'name' };
  if (email && (email.length > 254 || !emailSchema.safeParse(email).success)) return { invalid: 'email' };
  const contact: ContactDetails = {};
  if (name) contact.name = name;
  if (email) contact.email = email;
  return { contact };
}

/**
 * The contact form of a panel: `render(availability, started)` draws it (nothing once the visitor
 * has written, skipped or sent it), `take()` hands the collected contact to the next send, once.
 *
 * @csspart contact-form - The form (name and email fields, Continue and Skip).
 * @csspart contact-input - One of its fields.
 * @csspart contact-error - What is wrong with a field.
 * @csspart contact-thanks - What the visitor is told once the form is sent.
 */
export class ContactForm {
  #panel: PortholePanelElement;
  #state: 'open' | 'sent' | 'skipped' = 'open';
  #invalid?: 'name' | 'email';
  #given?: ContactDetails;
  #pending?: ContactDetails;

  constructor(panel: PortholePanelElement) {
    this.#panel = panel;
    const root = panel.renderRoot as ShadowRoot;
    const sheet = styles.styleSheet;
    if (sheet && root.adoptedStyleSheets && !root.adoptedStyleSheets.includes(sheet))
      root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  }

  /** The contact for the next message (then undefined). */
  take(): ContactDetails | undefined {
    const contact = this.#pending;
    this.#pending = undefined;
    return contact;
  }

  #submit = (e: Event): void => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const value = (n: string) => (form.elements.namedItem(n) as HTMLInputElement | null)?.value;
    const checked = checkContact({ name: value('name'), email: value('email') });
    if ('invalid' in checked) {
      this.#invalid = checked.invalid;
      this.#panel.requestUpdate();
      void this.#panel.updateComplete.then(() => (form.elements.namedItem(checked.invalid) as HTMLInputElement | null)?.focus());
      return;
    }
    this.#invalid = undefined;
    this.#state = 'sent';
    this.#given = this.#pending = Object.keys(checked.contact).length ? checked.contact : undefined;
    this.#panel.requestUpdate();
    void this.#panel.updateComplete.then(() => this.#panel.renderRoot.querySelector<HTMLTextAreaElement>('textarea')?.focus());
  };

  #skip = (): void => {
    this.#state = 'skipped';
    this.#panel.requestUpdate();
    void this.#panel.updateComplete.then(() => this.#panel.renderRoot.querySelector<HTMLTextAreaElement>('textarea')?.focus());
  };

  /** The form while it is wanted and the visitor has not written yet; after it, the thanks line. */
  render(availability: Availability | undefined, started: boolean): TemplateResult | string {
    const s = contactFormStrings(this.#panel);
    if (this.#state === 'sent' && !started)
      return html`<p part="contact-thanks" class="contact" role="status">
        ${this.#given?.email && availability?.emailReplies ? s.thanksEmail : s.thanks}
      </p>`;
    if (this.#state !== 'open' || started || !wantsContactForm(availability)) return '';
    const fields = availability!.fields;
    const email = fields.includes('email');
    const field = (name: 'name' | 'email', label: string, type: string, autocomplete: string) =>
      fields.includes(name)
        ? html`<label
            >${label} ${s.optional}
            <input
              part="contact-input"
              name=${name}
              type=${type}
              autocomplete=${autocomplete}
              maxlength=${name === 'email' ? 254 : 64}
              aria-invalid=${this.#invalid === name ? 'true' : 'false'}
              aria-describedby=${this.#invalid === name ? 'contact-err' : 'contact-intro'}
          /></label>`
        : '';
    return html`<form part="contact-form" class="contact" aria-labelledby="contact-intro" novalidate @submit=${this.#submit}>
      <p id="contact-intro">${email && availability!.emailReplies ? s.introEmail : s.intro}</p>
      ${field('name', s.name, 'text', 'name')} ${field('email', s.email, 'email', 'email')}
      ${
        this.#invalid
          ? html`<p part="contact-error" id="contact-err" class="err" role="alert">
              ${this.#invalid === 'email' ? s.badEmail : s.badName}
            </p>`
          : ''
      }
      <div class="row">
        <button part="contact-submit" type="submit">${s.submit}</button>
        <button part="contact-skip" type="button" @click=${this.#skip}>${s.skip}</button>
      </div>
    </form>`;
  }
}
