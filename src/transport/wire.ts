import * as z from 'zod/mini';
import { TransportError, type ChatFile, type ChatMessage, type ChatPage } from './transport.js';

// Mattermost wire shapes (public/model/post.go, post_list.go, websocket_message.go), reduced to
// the fields the widget reads. Unknown keys are dropped; anything malformed is rejected.
const post = z.object({
  id: z.string(),
  create_at: z.number(),
  update_at: z.number(),
  delete_at: z.optional(z.number()),
  edit_at: z.optional(z.number()),
  user_id: z.string(),
  channel_id: z.string(),
  message: z.string(),
  type: z.optional(z.string()),
  props: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
  // files: the attached files' infos (post_metadata.go); a malformed one is left out.
  metadata: z.optional(z.nullable(z.object({ files: z.optional(z.nullable(z.array(z.unknown()))) }))),
});

/** Mattermost's FileInfo as far as the widget reads it (public/model/file_info.go). */
export const fileInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  size: z.number(),
  mime_type: z.optional(z.string()),
  width: z.optional(z.number()),
  height: z.optional(z.number()),
});

/** A Mattermost FileInfo as the widget's ChatFile; undefined for junk. */
export function toChatFile(raw: unknown): ChatFile | undefined {
  const r = fileInfoSchema.safeParse(raw);
  if (!r.success) return undefined;
  const f = r.data;
  return {
    id: f.id,
    name: f.name,
    size: f.size,
    type: f.mime_type || 'application/octet-stream',
    ...(f.width && f.height ? { width: f.width, height: f.height } : {}),
  };
}

const postList = z.object({
  order: z.array(z.string()),
  posts: z.record(z.string(), z.unknown()),
});

export const wsFrame = z.object({
  event: z.optional(z.string()),
  data: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
  broadcast: z.optional(z.nullable(z.object({ channel_id: z.optional(z.string()) }))),
  seq_reply: z.optional(z.number()),
  status: z.optional(z.string()),
});

/** A validated post of `channelId` as a ChatMessage; undefined for system posts and junk. */
export function toMessage(raw: unknown, channelId: string): ChatMessage | undefined {
  const r = post.safeParse(typeof raw === 'string' ? safeJson(raw) : raw);
  if (!r.success) return undefined;
  const p = r.data;
  // System posts (joins, header changes…) are not part of the visitor's conversation.
  if (p.channel_id !== channelId || p.type?.startsWith('system_')) return undefined;
  const cid = p.props?.porthole_client_id;
  const files = (p.metadata?.files ?? []).map(toChatFile).filter((f): f is ChatFile => !!f);
  return {
    ...(files.length ? { files } : {}),
    id: p.id,
    clientId: typeof cid === 'string' ? cid : undefined,
    userId: p.user_id,
    text: p.message,
    createAt: p.create_at,
    updateAt: Math.max(p.update_at, p.delete_at ?? 0),
    deleted: (p.delete_at ?? 0) > 0,
    edited: (p.edit_at ?? 0) > 0,
  };
}

/** A validated post list, oldest first. */
export function toMessages(raw: unknown, channelId: string): ChatMessage[] {
  const r = postList.safeParse(raw);
  if (!r.success) throw new TransportError('invalid', 'expected a Mattermost post list {order, posts}');
  const out: ChatMessage[] = [];
  for (const id of r.data.order) {
    const m = toMessage(r.data.posts[id], channelId);
    if (m) out.unshift(m);
  }
  return out.sort((a, b) => a.createAt - b.createAt);
}

/** A page: Mattermost has no "has more" flag, a full page means there may be more. */
export function toPage(raw: unknown, channelId: string, perPage: number): ChatPage {
  const order = (raw as { order?: unknown[] } | undefined)?.order;
  return { messages: toMessages(raw, channelId), hasMore: (order?.length ?? 0) >= perPage };
}

/** The id of the oldest post of a raw post list (Mattermost orders them newest first), if any. */
export function oldestPostId(raw: unknown): string | undefined {
  const order = (raw as { order?: unknown[] } | undefined)?.order;
  const last = Array.isArray(order) ? order.at(-1) : undefined;
  return typeof last === 'string' ? last : undefined;
}

export function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
