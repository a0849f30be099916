import { strings } from '../i18n/index.js';
import { LAUNCHER_LABEL, matchLocale } from '../i18n/locales.js';

// The launcher stays tiny (2 KB budget): the panel chunk brings the badge and its style, and
// adds them to the launcher's shadow root when there is something to show.
const badgeSheet = new CSSStyleSheet();
badgeSheet.replaceSync(
  'button{position:relative}[part~=badge]{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 5px;box-sizing:border-box;border-radius:10px;background:var(--porthole-badge,#d1242f);color:#fff;font:600 12px/20px system-ui,sans-serif;text-align:center}',
);

/**
 * Shows `count` unread messages on the launcher's button (`part="badge"`, at most "99+") and
 * says so in the button's label, in `locale`; 0 removes the badge and restores the label.
 * Does nothing when `root` holds no launcher button (a panel used on its own).
 *
 * @example
 * showUnread(launcher.shadowRoot, 3, 'fr'); // badge "3", label "Ouvrir la discussion, 3 messages non lus"
 */
export function showUnread(root: ShadowRoot | null | undefined, count: number, locale?: string): void {
  const button = root?.querySelector<HTMLButtonElement>('[part~="launcher"]');
  if (!root || !button) return;
  if (!root.adoptedStyleSheets.includes(badgeSheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, badgeSheet];
  let badge = button.querySelector<HTMLElement>('[part~="badge"]');
  const label = LAUNCHER_LABEL[matchLocale(locale ?? '') ?? 'en'];
  if (!count) {
    badge?.remove();
    button.setAttribute('aria-label', label);
    return;
  }
  if (!badge) {
    badge = document.createElement('span');
    badge.setAttribute('part', 'badge');
    badge.setAttribute('aria-hidden', 'true');
    button.append(badge);
  }
  badge.textContent = count > 99 ? '99+' : String(count);
  button.setAttribute('aria-label', `${label}, ${strings(locale).unread(count)}`);
}
