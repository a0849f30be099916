import { expect } from '@open-wc/testing';
import { loadStrings } from '../i18n/index.js';
import { showUnread } from './unread-badge.js';

function launcherRoot(): ShadowRoot {
  const root = document.createElement('div').attachShadow({ mode: 'open' });
  root.innerHTML = '<button part="launcher" aria-label="Open chat"></button>';
  return root;
}

const badge = (root: ShadowRoot) => root.querySelector<HTMLElement>('[part~="badge"]');
const label = (root: ShadowRoot) => root.querySelector('button')!.getAttribute('aria-label');

describe('showUnread', () => {
  it('draws the count on the launcher, says it in the label, and adds its style once', () => {
    const root = launcherRoot();
    const sheets = root.adoptedStyleSheets.length;
    showUnread(root, 1, 'en');
    showUnread(root, 3, 'en');
    expect(badge(root)!.textContent).to.equal('3');
    expect(badge(root)!.getAttribute('aria-hidden')).to.equal('true');
    expect(root.querySelectorAll('[part~="badge"]')).to.have.length(1);
    expect(label(root)).to.equal('Open chat, 3 unread messages');
    expect(root.adoptedStyleSheets).to.have.length(sheets + 1);
  });

  it('caps the badge at 99+, speaks the locale, and 0 removes it', async () => {
    await loadStrings('fr'); // the panel that shows the badge has loaded its locale
    const root = launcherRoot();
    showUnread(root, 150, 'fr');
    expect(badge(root)!.textContent).to.equal('99+');
    expect(label(root)).to.equal('Ouvrir la discussion, 150 messages non lus');
    showUnread(root, 0, 'fr');
    expect(badge(root)).to.equal(null);
    expect(label(root)).to.equal('Ouvrir la discussion');
  });

  it('does nothing without a launcher (a panel used on its own)', () => {
    expect(() => showUnread(undefined, 2)).to.not.throw();
    const empty = document.createElement('div').attachShadow({ mode: 'open' });
    showUnread(empty, 2);
    expect(empty.adoptedStyleSheets).to.have.length(0);
  });
});
