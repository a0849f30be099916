import { expect } from '@open-wc/testing';
import { loadStrings, strings } from '../i18n/index.js';
import { showLauncherState } from './unread-badge.js';

const CHAT = 'M2 3h20v15H9l-5 4v-4H2z';

// The launcher's button as src/element/porthole-chat.ts builds it.
function launcherRoot(): ShadowRoot {
  const root = document.createElement('div').attachShadow({ mode: 'open' });
  root.innerHTML = `<div class="w"><button part="launcher" aria-label="Open chat"><svg viewBox="0 0 24 24"><path d="${CHAT}"></path></svg></button></div>`;
  return root;
}

const badge = (root: ShadowRoot) => root.querySelector<HTMLElement>('[part~="badge"]');
const label = (root: ShadowRoot) => root.querySelector('button')!.getAttribute('aria-label');
const icon = (root: ShadowRoot) => root.querySelector('path')!.getAttribute('d');

describe('showLauncherState', () => {
  it('draws the unread count on the closed launcher, says it in the label, and adds its style once', () => {
    const root = launcherRoot();
    const sheets = root.adoptedStyleSheets.length;
    showLauncherState(root, false, 1, strings('en'));
    showLauncherState(root, false, 3, strings('en'));
    expect(badge(root)!.textContent).to.equal('3');
    expect(badge(root)!.getAttribute('aria-hidden')).to.equal('true');
    expect(root.querySelectorAll('[part~="badge"]')).to.have.length(1);
    expect(label(root)).to.equal('Open chat, 3 unread messages');
    expect(icon(root)).to.equal(CHAT);
    expect(root.adoptedStyleSheets).to.have.length(sheets + 1);
  });

  it('while open: an ×, "Close chat" and no badge; closed again: the speech bubble and "Open chat"', () => {
    const root = launcherRoot();
    showLauncherState(root, false, 2, strings('en'));
    showLauncherState(root, true, 2, strings('en'));
    expect(label(root)).to.equal('Close chat');
    expect(icon(root)).to.not.equal(CHAT);
    expect(icon(root)).to.match(/^M4 6l2-2 14 14/);
    expect(badge(root)).to.equal(null);
    showLauncherState(root, false, 0, strings('en'));
    expect(label(root)).to.equal('Open chat');
    expect(icon(root)).to.equal(CHAT);
  });

  it('caps the badge at 99+, speaks the locale, and 0 removes it', async () => {
    await loadStrings('fr'); // the panel that shows the badge has loaded its locale
    const root = launcherRoot();
    showLauncherState(root, false, 150, strings('fr'));
    expect(badge(root)!.textContent).to.equal('99+');
    expect(label(root)).to.equal('Ouvrir la discussion, 150 messages non lus');
    showLauncherState(root, false, 0, strings('fr'));
    expect(badge(root)).to.equal(null);
    expect(label(root)).to.equal('Ouvrir la discussion');
    showLauncherState(root, true, 0, strings('fr'));
    expect(label(root)).to.equal('Fermer la discussion');
  });

  it('does nothing without a launcher (a panel used on its own)', () => {
    expect(() => showLauncherState(undefined, false, 2, strings('en'))).to.not.throw();
    const empty = document.createElement('div').attachShadow({ mode: 'open' });
    showLauncherState(empty, false, 2, strings('en'));
    expect(empty.adoptedStyleSheets).to.have.length(0);
  });
});
