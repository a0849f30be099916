import { expect } from '@open-wc/testing';
import '../panel/porthole-panel.js';
import type { PortholePanelElement } from '../panel/porthole-panel.js';
import { en } from './en.js';
import { loadStrings, strings } from './index.js';

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
    await loadStrings('xx');
    expect(strings('xx')).to.equal(en);
  });

  it('load another locale as a chunk of its own', async () => {
    await loadStrings('fr');
    expect(strings('fr').send).to.equal('Envoyer');
    await loadStrings('de');
    expect(strings('de').send).to.equal('Senden');
  });
});
