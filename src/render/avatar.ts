import { html, type TemplateResult } from 'lit';

/** Up to two initials of a display name (letters of its first and last words), '?' for none. */
export function initials(name: string | undefined): string {
  const words = (name ?? '').trim().split(/\s+/).filter(Boolean);
  const first = [...(words[0] ?? '')][0] ?? '';
  const last = words.length > 1 ? ([...words[words.length - 1]!][0] ?? '') : '';
  return (first + last).toUpperCase() || '?';
}

/**
 * An agent's face: a fixed-size box (`part="avatar"`, sized by `--porthole-avatar-size`, so an
 * image arriving later shifts nothing) holding the profile image as a `blob:` URL, else initials.
 * Decorative (`alt=""`, `aria-hidden`): the name is text beside it.
 */
export const renderAvatar = (name: string | undefined, url: string | undefined): TemplateResult =>
  html`<span part="avatar" class="av" aria-hidden="true">${url ? html`<img src=${url} alt="" />` : initials(name)}</span>`;
