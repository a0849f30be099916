// Pure translations between Mattermost posts and the visitor's messages: which posts of a thread
// are messages, whose they are, and the text the bot writes (announcement, visitor names).
import type { WireFile, WireMessage } from '../../protocol/gateway.js';
import { mediaType } from '../uploads.js';
import type { MmPost } from './mattermost-api.js';

/** Who is who in one conversation's thread. */
export interface ThreadParties {
  /** The bot: its replies in the thread are the visitor's messages. */
  botUserId: string;
  /** The visitor's opaque id, the author id of their messages. */
  visitorUserId: string;
}

/** Post prop carrying the widget's client id of a visitor message. */
export const CLIENT_ID_PROP = 'porthole_client_id';

// U+2060 WORD JOINER after an "@" that starts a word: Mattermost's mention parser splits words
// there, so a visitor's "@channel" or "@someone" notifies nobody, while clients still show
// "@channel". An "@" after an ASCII letter or digit (ada@example.com) mentions nobody and stays
// as it is. Only ASCII counts as "inside a word": Mattermost's parser asks Go's unicode tables
// (Unicode 15.0 for go1.26), JavaScript's are newer, so a letter added since (U+2EBF0, U+10D50)
// is a letter here but a separator there; defusing after any non-ASCII character is the safe side.
const MENTION = /(?<![A-Za-z0-9])@(?=[\p{L}\p{N}_.-])/gu;
const DEFUSED = /@\u2060/g;

/** Visitor text as the bot posts it: @-mentions defused (they would notify with the bot's rights). */
export function defuseMentions(text: string): string {
  return text.replace(MENTION, '@\u2060');
}

/** Escapes Markdown and defuses mentions in a short untrusted string (a name) for the bot's own posts. */
export function escapeMarkdown(text: string): string {
  return defuseMentions(text.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/[\\`*_{}[\]()#+\-.!|<>~:]/g, '\\$&'));
}

/**
 * The message a post of a conversation's thread stands for, or `undefined` for the root
 * announcement, system posts and posts of other threads.
 */
export function toWireMessage(post: MmPost, parties: ThreadParties): WireMessage | undefined {
  if (!post.root_id || post.type.startsWith('system_') || post.props[NOTE_PROP] || post.props[PAGE_PROP]) return undefined;
  const fromVisitor = post.user_id === parties.botUserId;
  const clientId = post.props[CLIENT_ID_PROP];
  const deleted = post.delete_at > 0;
  const message: WireMessage = {
    id: post.id,
    userId: fromVisitor ? parties.visitorUserId : post.user_id,
    text: deleted ? '' : fromVisitor ? post.message.replace(DEFUSED, '@') : post.message,
    createAt: post.create_at,
    updateAt: Math.max(post.update_at, post.delete_at),
    deleted,
    edited: post.edit_at > 0,
  };
  if (fromVisitor && typeof clientId === 'string') message.clientId = clientId;
  // Files: from the metadata Mattermost fills in for clients (app/post_metadata.go); none once deleted.
  const files = deleted ? [] : (post.metadata?.files ?? []);
  if (files.length > 0) message.files = files.map(toWireFile);
  return message;
}

/** A file of a post's metadata as the visitor API shows it (no Mattermost URL: `GET /v1/files/{id}` serves it). */
export function toWireFile(file: { id: string; name: string; size: number; mime_type: string; width?: number; height?: number }): WireFile {
  // Mattermost stores the type its extension gives, parameters included (`.txt`: `text/plain; charset=utf-8`).
  const out: WireFile = { id: file.id, name: file.name, size: file.size, type: mediaType(file.mime_type) ?? 'application/octet-stream' };
  if (file.width && file.height) {
    out.width = file.width;
    out.height = file.height;
  }
  return out;
}

/** The name shown on a visitor's messages in Mattermost (`override_username`): visibly a visitor. */
export function visitorDisplayName(name: string): string {
  return `${name} (visitor)`;
}

/** A name for a visitor who gave none: stable per visitor. */
export function fallbackVisitorName(visitorUserId: string): string {
  return `Visitor ${visitorUserId.slice(0, 4).toUpperCase()}`;
}

/** Who the root post announces. */
export interface AnnouncedVisitor {
  name: string;
  /** Only from a verified identity. */
  email?: string;
  page?: string;
  identified: boolean;
  /** What the visitor typed in the contact form (offline part): not verified. */
  contact?: VisitorContact;
}

/** The contact form's fields as the visitor typed them. */
export interface VisitorContact {
  name?: string;
  email?: string;
}

/** Post prop of the bot's notes in a thread (the visitor's contact): not a visitor message. */
export const NOTE_PROP = 'porthole_note';

/** Post prop of the bot's page reports in a thread (the page URL; page-routes.ts): never shown to the visitor. */
export const PAGE_PROP = 'porthole_page';

/** The line agents read for a contact the visitor typed, or `undefined` when it is empty. */
export function contactLine(contact: VisitorContact | undefined): string | undefined {
  const parts = [contact?.name, contact?.email].filter((v): v is string => !!v).map(escapeMarkdown);
  return parts.length ? `:envelope: Visitor's contact (typed by the visitor, not verified): ${parts.join(' · ')}` : undefined;
}

/** A page URL made safe to put in a Markdown link, or `undefined` when it is not http(s). */
function safePageUrl(page: string | undefined): string | undefined {
  if (!page) return undefined;
  try {
    const url = new URL(page);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    url.username = '';
    url.password = '';
    return url.href.replace(/[()<>@\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  } catch {
    return undefined;
  }
}

/** The text of the bot's root post announcing a new conversation. */
export function announcement(visitor: AnnouncedVisitor): string {
  const who = [`**${escapeMarkdown(visitor.name)}**`];
  if (visitor.email) who.push(`${escapeMarkdown(visitor.email)} (verified)`);
  else who.push(visitor.identified ? 'signed in' : 'anonymous');
  const lines = [`:speech_balloon: New conversation from ${who.join(' · ')}`];
  const page = safePageUrl(visitor.page);
  if (page) lines.push(`Page: ${page}`);
  const contact = contactLine(visitor.contact);
  if (contact) lines.push(contact);
  lines.push('Reply in this thread to answer.');
  return lines.join('\n');
}
