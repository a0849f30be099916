import { expect } from '@open-wc/testing';
import '../panel/porthole-panel.js';
import type { PortholePanelElement } from '../panel/porthole-panel.js';
import { attachmentStrings } from '../panel/attachments.strings.js';
import { contactFormStrings } from '../panel/contact-form.strings.js';
import { privacyStrings } from '../panel/privacy-menu.strings.js';
import { en } from './en.js';
import { direction, LOCALES, loadStrings, strings } from './index.js';
import { LAUNCHER_LABEL } from './locales.js';
import { loadPartStrings } from './parts.js';

/** Where `other` differs in shape from `base`: a key missing or extra, a type changed, a text empty (functions called with 1, 2 and 11). */
function shapeProblems(base: object, other: object, where: string): string[] {
  const b = base as Record<string, unknown>;
  const o = other as Record<string, unknown>;
  const problems: string[] = [];
  for (const [key, builtIn] of Object.entries(b)) {
    const value = o[key];
    const at = `${where}.${key}`;
    if (typeof builtIn === 'object') {
      if (typeof value !== 'object' || !value) problems.push(`${at}: missing`);
      else problems.push(...shapeProblems(builtIn as object, value, at));
    } else if (typeof builtIn === 'function') {
      if (typeof value !== 'function') problems.push(`${at}: expected a function, found ${typeof value}`);
      else
        for (const n of [1, 2, 11]) {
          const text: unknown = (value as (...a: number[]) => unknown)(...Array<number>(builtIn.length).fill(n));
          if (typeof text !== 'string' || !text.trim()) problems.push(`${at}(${n}): no text`);
        }
    } else if (typeof value !== 'string' || !value.trim()) problems.push(`${at}: missing or empty`);
  }
  for (const key of Object.keys(o)) if (!(key in b)) problems.push(`${where}.${key}: not an English key`);
  return problems;
}

/** Records console.error / console.info calls while `fn` runs. */
async function capture(method: 'error' | 'info', fn: () => unknown): Promise<string[]> {
  const calls: string[] = [];
  const original = console[method];
  console[method] = (...args: unknown[]) => calls.push(args.join(' '));
  try {
    await fn();
  } finally {
    console[method] = original;
  }
  return calls;
}

describe('strings', () => {
  it('a panel shows no other language first: its first render waits for the locale', async () => {
    // First in this file (each test file has its own module graph): German is not loaded yet.
    const panel = document.createElement('porthole-panel') as PortholePanelElement;
    panel.locale = 'de';
    const firstTitles: string[] = [];
    const observer = new MutationObserver(() => {
      const h2 = panel.shadowRoot?.querySelector('h2');
      if (h2 && firstTitles.length === 0) firstTitles.push(h2.textContent ?? '');
    });
    document.body.append(panel); // creates the shadow root; the first render is still to come
    observer.observe(panel.shadowRoot!, { subtree: true, childList: true, characterData: true });
    await panel.updateComplete;
    observer.disconnect();
    expect(panel.shadowRoot!.querySelector('h2')!.textContent).to.equal('Schreiben Sie uns');
    expect(firstTitles.every((t) => t === 'Schreiben Sie uns')).to.equal(true);
    panel.remove();
  });

  it('are English for English and unknown locales, at once', async () => {
    expect(strings('en')).to.equal(en);
    expect(strings('xx')).to.equal(en);
    await capture('info', () => loadStrings('xx'));
    expect(strings('xx')).to.equal(en);
  });

  it('load another locale as a chunk of its own', async () => {
    await loadStrings('fr');
    expect(strings('fr').send).to.equal('Envoyer');
    await loadStrings('de');
    expect(strings('de').send).to.equal('Senden');
    await loadStrings('es');
    expect(strings('es').send).to.equal('Enviar');
    await loadStrings('he');
    expect(strings('he').send).to.equal('שליחה');
  });

  it('every built-in locale has every English key, with a text for each, and its own launcher label', async () => {
    const problems: string[] = [];
    for (const locale of LOCALES) {
      await loadStrings(locale);
      const s = strings(locale);
      if (locale !== 'en') expect(s, `${locale} loaded`).not.to.equal(en);
      problems.push(...shapeProblems(en, s, locale));
      if (!LAUNCHER_LABEL[locale]?.trim()) problems.push(`${locale}: no launcher label`);
    }
    expect(problems).to.deep.equal([]);
  });

  it("every built-in locale has every key of the lazy parts' strings (menu, attachments, contact form)", async () => {
    const problems: string[] = [];
    const english = { privacy: privacyStrings(), attachments: attachmentStrings(), contactForm: contactFormStrings() };
    for (const locale of LOCALES) {
      await loadPartStrings(locale);
      const panel = { locale };
      const parts = { privacy: privacyStrings(panel), attachments: attachmentStrings(panel), contactForm: contactFormStrings(panel) };
      if (locale !== 'en') expect(parts.privacy, `${locale} loaded`).not.to.equal(english.privacy);
      problems.push(...shapeProblems(english, parts, locale));
    }
    expect(problems).to.deep.equal([]);
  });

  it('Arabic and Hebrew are right to left, the others left to right', () => {
    expect(LOCALES.filter((l) => direction(l) === 'rtl')).to.deep.equal(['ar', 'he']);
    expect(direction(undefined)).to.equal('ltr');
  });
});

describe('strings overrides', () => {
  it("apply over the locale's strings, functions and nested keys included, and keep the same object per overrides", async () => {
    const overrides = { title: 'Posez-nous vos questions', unread: (n: number) => `${n} nouveaux`, availability: { online: 'Là !' } };
    await loadStrings('fr', overrides);
    const s = strings('fr', overrides);
    expect(s.title).to.equal('Posez-nous vos questions');
    expect(s.unread(3)).to.equal('3 nouveaux');
    expect(s.availability.online).to.equal('Là !');
    expect(s.availability.away).to.equal('Nous revenons dans un instant');
    expect(s.send).to.equal('Envoyer');
    expect(strings('fr', overrides)).to.equal(s);
    expect(strings('fr')).not.to.equal(s);
  });

  it('report unknown keys and wrong types in the console, naming them, and keep the built-in texts there', async () => {
    const overrides = { sned: 'Go', send: 42, availability: { onlne: 'x' }, unread: 'many' } as never;
    let s = en;
    const errors = await capture('error', async () => {
      await loadStrings('en', overrides);
      s = strings('en', overrides);
    });
    expect(s.send).to.equal('Send');
    expect(s.unread(2)).to.equal('2 unread messages');
    expect(errors.some((e) => e.includes('strings.sned') && e.includes('expected one of title'))).to.equal(true, errors.join('\n'));
    expect(errors.some((e) => e.includes('strings.availability.onlne') && e.includes('online, away'))).to.equal(true, errors.join('\n'));
    expect(errors.some((e) => e.includes('strings.send expected a string, received number'))).to.equal(true, errors.join('\n'));
    expect(errors.some((e) => e.includes('strings.unread expected a function, received string'))).to.equal(true, errors.join('\n'));
    expect(errors.every((e) => e.startsWith('<porthole-chat>:'))).to.equal(true);
  });

  it('a function that throws or returns no text shows the built-in one, reported once', async () => {
    const overrides = {
      unread: () => {
        throw new Error('boom');
      },
      charsLeft: () => 7 as unknown as string,
    };
    await loadStrings('en', overrides);
    const s = strings('en', overrides);
    const errors = await capture('error', () => {
      expect(s.unread(2)).to.equal('2 unread messages');
      expect(s.unread(3)).to.equal('3 unread messages');
      expect(s.charsLeft(5)).to.equal('5 characters left');
    });
    expect(errors).to.have.length(2);
    expect(errors[0]).to.contain('strings.unread(2) threw Error: boom');
    expect(errors[1]).to.contain('strings.charsLeft(5) returned number, expected a string');
  });

  it('a value that is no object at all changes nothing, and says so', async () => {
    const errors = await capture('error', async () => {
      await loadStrings('en', 'Chat' as never);
      expect(strings('en', 'Chat' as never)).to.equal(en);
    });
    expect(errors).to.have.length(1);
    expect(errors[0]).to.contain('strings expected an object, received string');
  });

  it("the lazy parts' overrides sit under their own key and are checked when the part reads them", async () => {
    const overrides = { privacy: { erase: 'Oubliez-moi', eras: 'x' }, contactForm: { skip: 'Plus tard' } };
    await loadStrings('fr', overrides);
    await loadPartStrings('fr');
    const panel = { locale: 'fr', strings: overrides };
    let menu = privacyStrings();
    const errors = await capture('error', () => void (menu = privacyStrings(panel)));
    expect(menu.erase).to.equal('Oubliez-moi');
    expect(menu.cancel).to.equal('Annuler');
    expect(errors).to.have.length(1);
    expect(errors[0]).to.contain('strings.privacy.eras');
    expect(contactFormStrings(panel).skip).to.equal('Plus tard');
    expect(attachmentStrings(panel).ready).to.equal('Prêt');
  });
});

describe('the English fallback notice', () => {
  it('tells the console once per language that English shows, and says how to translate', async () => {
    const infos = await capture('info', async () => {
      await loadStrings('en', undefined, 'ja');
      await loadStrings('en', undefined, 'ja-JP');
      await loadStrings('en', undefined, 'ja');
    });
    expect(infos).to.deep.equal(['<porthole-chat>: no built-in strings for "ja", showing English; set `strings` to translate']);
  });

  it('says nothing for a built-in language, without a language, or when the site set its own strings', async () => {
    const infos = await capture('info', async () => {
      await loadStrings('fr', undefined, 'fr-CA');
      await loadStrings('en', undefined, '');
      await loadStrings('en', undefined, undefined);
      await loadStrings('en', { title: 'チャット' }, 'ko');
    });
    expect(infos).to.deep.equal([]);
  });
});
