import type { Strings } from '../i18n/index.js';

// The launcher stays tiny (2 KB budget): the panel chunk brings the badge and its style, and
// adds them to the launcher's shadow root; once loaded, the panel owns the button's label and icon.
const badgeSheet = new CSSStyleSheet();
badgeSheet.replaceSync(
  'button{position:relative}[part~=badge]{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 5px;box-sizing:border-box;border-radius:10px;background:var(--porthole-badge,#d1242f);color:#fff;font:600 12px/20px system-ui,sans-serif;text-align:center}',
);

/** The launcher's icons: a speech bubble while closed (as the launcher draws it), an × while open. */
const CHAT = 'M2 3h20v15H9l-5 4v-4H2z';
const CROSS = 'M4 6l2-2 14 14-2 2zm14-2 2 2L6 20l-2-2z';

/**
 * Shows the chat's state on the launcher's button: while `open`, an × and the label "Close chat";
 * while closed, the speech bubble, "Open chat" and, with `count` unread messages, a badge
 * (`part="badge"`, at most "99+") and the count in the label ("Open chat, 3 unread messages"), in
 * `labels`' language. Does nothing when `root` holds no launcher button (a panel used on its own).
 *
 * @example
 * showLauncherState(launcher.shadowRoot, false, 3, strings('fr')); // badge "3", label "Ouvrir la discussion, 3 messages non lus"
 */
export function showLauncherState(root: ShadowRoot | null | undefined, open: boolean, count: number, labels: Strings): void {
  const button = root?.querySelector<HTMLButtonElement>('[part~="launcher"]');
  if (!root || !button) return;
  if (!root.adoptedStyleSheets.includes(badgeSheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, badgeSheet];
  button.querySelector('path')?.setAttribute('d', open ? CROSS : CHAT);
  let badge = button.querySelector<HTMLElement>('[part~="badge"]');
  if (open || !count) {
    badge?.remove();
    button.setAttribute('aria-label', open ? labels.close : labels.open);
    return;
  }
  if (!badge) {
    badge = document.createElement('span');
    badge.setAttribute('part', 'badge');
    badge.setAttribute('aria-hidden', 'true');
    button.append(badge);
  }
  badge.textContent = count > 99 ? '99+' : String(count);
  button.setAttribute('aria-label', `${labels.open}, ${labels.unread(count)}`);
}
