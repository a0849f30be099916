// Files of gateway mode: a visitor uploads through the companion (checked for size and type
// before Mattermost sees a byte, then streamed to Mattermost as the bot) and reads back only the
// files of their own conversation. No route takes a conversation id: the token says which one.
import { Hono, type Context } from 'hono';
import { HttpError } from '../errors.js';
import type { Logger } from '../logger.js';
import { MattermostError } from '../mattermost-admin.js';
import type { CompanionMetrics } from '../metrics.js';
import { defaultSleep, erasureInProgress, withRetries } from '../privacy.js';
import { enforceRateLimit, type RateLimitStore } from '../rate-limit.js';
import {
  attachmentDisposition,
  DEFAULT_UPLOAD_LIMITS,
  mediaType,
  parseFileName,
  refusedType,
  servedType,
  type UploadLimits,
} from '../uploads.js';
import type { GatewayConfig } from './config.js';
import type { ConversationService } from './conversation-service.js';
import type { BotProvisioningApi, GatewayMattermost, MmFileInfo } from './mattermost-api.js';
import { toWireFile } from './messages.js';
import type { GatewayStore } from './store.js';
import type { AuthenticatedVisitor } from './visitor-auth.js';
import { conversationReads } from './visitor-guard.js';
import type { WireFile } from '../../protocol/gateway.js';

/** Default of `PORTHOLE_UPLOADS_PER_MINUTE`: uploads one conversation may make per minute. */
export const DEFAULT_UPLOADS_PER_MINUTE = 10;

const FILE_ID = /^[a-z0-9]{26}$/;

/** What {@link fileRoutes} needs. */
export interface FileRoutesDeps {
  config: Pick<GatewayConfig, 'uploads' | 'uploadsPerMinute' | 'readsPerMinute'>;
  conversations: ConversationService;
  store: GatewayStore;
  /** The bot's Mattermost client (503 before the gateway started). */
  api: GatewayMattermost;
  /**
   * The admin client erasure deletes with: an upload that finished after an erasure read the
   * conversation's files is deleted with it here (undefined: no erasure can run either).
   */
  admin?: BotProvisioningApi;
  rateLimitStore: RateLimitStore;
  /** The visitor of a request's `Authorization: Bearer` token (401 otherwise). */
  visitorOf: (c: Context) => Promise<AuthenticatedVisitor>;
  /** Counts uploads (and their bytes) and refusals by rate limit. Default: none. */
  metrics?: Pick<CompanionMetrics, 'rateLimited' | 'fileUploaded'>;
  logger: Logger;
  now: () => number;
  /** Between retries of the deletion of an upload overtaken by an erasure. Default: real time. */
  sleep?: (ms: number) => Promise<void>;
}

const tooLarge = (limits: UploadLimits, received: string) =>
  new HttpError(
    413,
    'file_too_large',
    `Files may be at most ${limits.maxBytes} bytes (${(limits.maxBytes / 1_048_576).toFixed(1)} MiB); received ${received}.`,
  );
const notFound = () => new HttpError(404, 'not_found', 'There is no such file in this conversation.');

/**
 * Counts the bytes of a stream on their way through: past `max` it errors (which aborts the request
 * reading it), and `overflowed()` says so afterwards.
 */
function byteCounter(max: number): { stream: TransformStream<Uint8Array, Uint8Array>; count: () => number; overflowed: () => boolean } {
  let count = 0;
  let overflowed = false;
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      count += chunk.byteLength;
      if (count > max) {
        overflowed = true;
        controller.error(new Error(`the body is longer than ${max} bytes`));
        return;
      }
      controller.enqueue(chunk);
    },
  });
  return { stream, count: () => count, overflowed: () => overflowed };
}

/**
 * The file routes (mount at the companion's root, behind the visitor API's middleware):
 *
 * - `POST /v1/files`: the raw bytes, `Content-Type` (the file's type), `Content-Length` (411
 *   without), `X-Porthole-File-Name` (`encodeURIComponent(name)`) → 201 `{file}`. 413
 *   `file_too_large`, 415 `file_type_not_allowed` before a byte goes to Mattermost; 429 past
 *   `PORTHOLE_UPLOADS_PER_MINUTE`. The first upload of a visitor who has not written starts the
 *   conversation's thread (as a first message would), so erasure always finds the files.
 * - `GET /v1/files/{fileId}`: the bytes of a file of this conversation (uploaded by it, or attached
 *   to a post of its thread by an agent), as an attachment with `nosniff`; else 404 `not_found`.
 */
export function fileRoutes(deps: FileRoutesDeps): Hono {
  const { config, store, now } = deps;
  const limits = config.uploads ?? DEFAULT_UPLOAD_LIMITS;
  const route = new Hono();
  const limitRead = conversationReads({ ...deps, readsPerMinute: config.readsPerMinute, now });
  const sleep = deps.sleep ?? defaultSleep;

  /**
   * Deletes an uploaded file for good the way erasure deletes never-posted files (Mattermost has no
   * API to delete a file): attached to a bot post of its own, deleted for good at once.
   */
  const discardUpload = async (channelId: string, fileId: string) => {
    const { admin, logger } = deps;
    try {
      if (!admin) throw new Error('no admin token to delete posts for good with');
      const post = await withRetries(
        () => deps.api.createPost({ channel_id: channelId, message: '', props: { porthole_erasure: 'files' }, file_ids: [fileId] }),
        sleep,
      );
      await withRetries(() => admin.deletePostPermanently(post.id), sleep);
      logger.info({ msg: 'gateway upload overtaken by an erasure: deleted', fileId });
    } catch (e) {
      logger.error({
        msg: 'gateway upload overtaken by an erasure: could not delete it',
        fileId,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  };

  route.post('/v1/files', async (c) => {
    const visitor = await deps.visitorOf(c);
    const declared = c.req.header('Content-Length');
    if (declared === undefined)
      throw new HttpError(
        411,
        'length_required',
        'Expected a "Content-Length" header with the file size in bytes (send the file as the body, not chunked).',
      );
    if (!/^\d{1,16}$/.test(declared.trim()))
      throw new HttpError(
        400,
        'invalid_request',
        `"Content-Length" must be a whole number of bytes (received ${JSON.stringify(declared.slice(0, 40))}).`,
      );
    const length = Number(declared.trim());
    if (length > limits.maxBytes) throw tooLarge(limits, `Content-Length ${length}`);
    if (length === 0) throw new HttpError(400, 'invalid_request', 'The file is empty (Content-Length 0); expected its bytes as the body.');
    const name = parseFileName(c.req.header('X-Porthole-File-Name'));
    if (!name.ok) throw new HttpError(400, 'invalid_request', name.problem);
    const type = mediaType(c.req.header('Content-Type'));
    const refused = refusedType(type, name.name, limits);
    if (refused) throw new HttpError(415, 'file_type_not_allowed', refused);
    await enforceRateLimit(
      deps.rateLimitStore,
      {
        key: `gateway:uploads:${visitor.conversationId}`,
        limit: config.uploadsPerMinute ?? DEFAULT_UPLOADS_PER_MINUTE,
        what: 'uploads in this conversation',
        name: 'uploads',
        metrics: deps.metrics,
      },
      now(),
    );
    const body = c.req.raw.body;
    if (!body) throw new HttpError(400, 'invalid_request', 'Expected the file as the request body; received none.');
    const conversation = await deps.conversations.thread(visitor);
    // Never more than announced (an adapter that does not cut the body at Content-Length) nor the limit.
    const counter = byteCounter(Math.min(length, limits.maxBytes));
    const abort = new AbortController();
    c.req.raw.signal?.addEventListener('abort', () => abort.abort(), { once: true });
    let info: MmFileInfo;
    try {
      info = await deps.api.uploadFile({
        channelId: conversation.channelId,
        name: name.name,
        body: body.pipeThrough(counter.stream),
        length,
        signal: abort.signal,
      });
    } catch (e) {
      if (counter.overflowed()) throw tooLarge(limits, `more than the announced ${length} bytes`);
      // Mattermost's own limit (FileSettings.MaxFileSize) is lower than the companion's.
      if (e instanceof MattermostError && e.status === 413)
        throw new HttpError(
          413,
          'file_too_large',
          "The chat server refused the file as too large (its own limit is lower than the companion's).",
          {
            cause: e,
          },
        );
      throw e;
    }
    if (info.size !== length)
      deps.logger.warn({ msg: 'gateway upload: Mattermost stored another size than announced', announced: length, stored: info.size });
    await store.addConversationFile(visitor.conversationId, {
      fileId: info.id,
      name: info.name,
      size: info.size,
      type: type!,
      uploadedAt: now(),
    });
    // The visitor passed auth before an erasure revoked the tokens, and the upload finished after
    // it read (or deleted) the conversation's files: nothing would ever delete this one.
    const marker = await store.getErasure(visitor.conversationId);
    const after = await store.getConversation(visitor.conversationId);
    if (marker || !after || after.rootPostId !== conversation.rootPostId || after.channelId !== conversation.channelId) {
      // An erasure that already forgot the conversation: forget the file record just added too.
      if (!marker && !after) await store.deleteConversation(visitor.conversationId);
      await discardUpload(conversation.channelId, info.id);
      throw erasureInProgress();
    }
    deps.metrics?.fileUploaded(info.size);
    deps.logger.info({ msg: 'gateway file uploaded', conversationId: visitor.conversationId, fileId: info.id, size: info.size, type });
    const file: WireFile = toWireFile({ ...info, mime_type: type! });
    return c.json({ file }, 201);
  });

  route.get('/v1/files/:fileId', async (c) => {
    const visitor = await deps.visitorOf(c);
    const fileId = c.req.param('fileId');
    if (!FILE_ID.test(fileId)) throw notFound();
    await limitRead(visitor);
    let name: string;
    let type: string;
    const own = await store.getConversationFile(visitor.conversationId, fileId);
    if (own) {
      name = own.name;
      type = own.type;
    } else {
      // An agent's file: attached to a post of this conversation's thread.
      const conversation = await store.getConversation(visitor.conversationId);
      if (!conversation) throw notFound();
      const info = await deps.api.getFileInfo(fileId);
      if (!info || !info.post_id || info.delete_at > 0 || info.channel_id !== conversation.channelId) throw notFound();
      const post = await deps.api.getPost(info.post_id);
      if (!post || post.root_id !== conversation.rootPostId) throw notFound();
      name = info.name;
      type = info.mime_type;
    }
    const stream = await deps.api.getFile(fileId, c.req.raw.signal);
    if (!stream) throw notFound();
    const headers: Record<string, string> = {
      'Content-Type': servedType(type),
      'Content-Disposition': attachmentDisposition(name),
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; sandbox",
      // Never kept by the browser: after logout or erasure the bytes must not be served from its cache.
      'Cache-Control': 'no-store',
    };
    if (stream.length !== undefined) headers['Content-Length'] = String(stream.length);
    // Through the context, not a bare Response: the CORS headers the middleware set must reach the browser.
    return c.body(stream.body, 200, headers);
  });

  return route;
}
