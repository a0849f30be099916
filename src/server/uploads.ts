// What visitors may upload, in both modes: the largest file and the allowed MIME types, read from
// `PORTHOLE_MAX_UPLOAD_BYTES` and `PORTHOLE_UPLOAD_TYPES` (zod, one line per problem like the
// rest of the configuration), and the matcher the gateway's file routes and the session response use.
import { z } from 'zod';

/** What the companion lets visitors upload; the session response of both modes carries it as `uploads`. */
export interface UploadLimits {
  /** Largest file, in bytes. */
  maxBytes: number;
  /** Allowed MIME types, lowercase: exact (`image/png`) or a whole top-level type (`image/*`). */
  types: string[];
}

/** Default of `PORTHOLE_MAX_UPLOAD_BYTES`: 10 MiB. */
export const DEFAULT_MAX_UPLOAD_BYTES = 10_485_760;
/** Largest accepted `PORTHOLE_MAX_UPLOAD_BYTES`: 100 MiB. */
export const MAX_MAX_UPLOAD_BYTES = 104_857_600;
/**
 * Default of `PORTHOLE_UPLOAD_TYPES`. Not `image/svg+xml`: an SVG can carry script, and agents'
 * Mattermost apps open attachments.
 */
export const DEFAULT_UPLOAD_TYPES: readonly string[] = [
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'application/pdf',
  'text/plain',
];
/** The limits with every default. */
export const DEFAULT_UPLOAD_LIMITS: UploadLimits = { maxBytes: DEFAULT_MAX_UPLOAD_BYTES, types: [...DEFAULT_UPLOAD_TYPES] };

// RFC 6838 restricted names: `type/subtype`, or `type/*` for a whole top-level type.
const TOKEN = '[a-z0-9][a-z0-9!#$&^_.+-]{0,126}';
const MIME_OR_WILDCARD = new RegExp(`^${TOKEN}/(?:${TOKEN}|\\*)$`);
const MIME = new RegExp(`^${TOKEN}/${TOKEN}$`);

/** The zod schemas of the upload variables, spread into both modes' configuration schemas. */
export const uploadVariables = {
  PORTHOLE_MAX_UPLOAD_BYTES: z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number of bytes')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be at least 1').max(MAX_MAX_UPLOAD_BYTES, `must be at most ${MAX_MAX_UPLOAD_BYTES} (100 MiB)`))
    .default(DEFAULT_MAX_UPLOAD_BYTES),
  PORTHOLE_UPLOAD_TYPES: z
    .string()
    .transform((v) => [
      ...new Set(
        v
          .split(',')
          .map((s) => s.trim().toLowerCase())
          .filter(Boolean),
      ),
    ])
    .pipe(
      z
        .array(z.string().regex(MIME_OR_WILDCARD, 'every entry must be a MIME type such as image/png, or a whole type such as image/*'))
        .min(1, 'must list at least one MIME type, e.g. image/png,application/pdf'),
    )
    .default([...DEFAULT_UPLOAD_TYPES]),
};

/** The {@link UploadLimits} of variables read with {@link uploadVariables}. */
export function uploadLimits(vars: { PORTHOLE_MAX_UPLOAD_BYTES: number; PORTHOLE_UPLOAD_TYPES: string[] }): UploadLimits {
  return { maxBytes: vars.PORTHOLE_MAX_UPLOAD_BYTES, types: vars.PORTHOLE_UPLOAD_TYPES };
}

/**
 * A `Content-Type` header's media type, lowercase and without parameters (`text/plain; charset=utf-8`
 * → `text/plain`), or `undefined` when it is not a `type/subtype`.
 */
export function mediaType(header: string | null | undefined): string | undefined {
  const type = (header ?? '').split(';')[0]!.trim().toLowerCase();
  return MIME.test(type) ? type : undefined;
}

/** Whether `type` (a bare media type) is allowed by `types` (exact entries or `type/*`). */
export function typeAllowed(type: string, types: readonly string[]): boolean {
  const t = type.toLowerCase();
  const top = t.split('/')[0];
  return types.some((allowed) => allowed === t || (allowed.endsWith('/*') && allowed.slice(0, -2) === top));
}

// The type Mattermost stores for a file is the one its name's extension says (model.GetInfoForBytes
// → mime.TypeByExtension), not the uploader's Content-Type. Those that matter: every default type,
// and the ones that run script when opened.
const BY_EXTENSION: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  jpe: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  bmp: 'image/bmp',
  svg: 'image/svg+xml',
  svgz: 'image/svg+xml',
  pdf: 'application/pdf',
  txt: 'text/plain',
  log: 'text/plain',
  csv: 'text/csv',
  htm: 'text/html',
  html: 'text/html',
  xhtml: 'application/xhtml+xml',
  xml: 'text/xml',
  js: 'text/javascript',
  mjs: 'text/javascript',
  json: 'application/json',
  zip: 'application/zip',
};

/** The MIME type a file name's extension stands for (the common ones), or `undefined`. */
export function typeOfName(name: string): string | undefined {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? undefined : BY_EXTENSION[name.slice(dot + 1).toLowerCase()];
}

/**
 * Why a file of this declared type and name may not be uploaded, or `undefined` when it may: the
 * declared type must be allowed, and so must the type its extension stands for (Mattermost goes by
 * the extension: `page.html` declared as `image/png` would be stored as `text/html`). A name whose
 * extension this table does not know (`invoice.exe`, `a.hta`) or that has none is refused unless
 * `application/octet-stream` is listed as such: Mattermost would type it by that extension, not by
 * the declared type.
 */
export function refusedType(declared: string | undefined, name: string, limits: UploadLimits): string | undefined {
  const allowed = limits.types.join(', ');
  if (!declared) return `Expected a "Content-Type" header with the file's MIME type (one of ${allowed}).`;
  if (!typeAllowed(declared, limits.types)) return `Files of type ${declared} are not accepted; expected one of ${allowed}.`;
  const byName = typeOfName(name);
  if (byName === undefined) {
    if (limits.types.includes('application/octet-stream')) return undefined;
    const dot = name.lastIndexOf('.');
    const received = dot < 0 ? 'a name without an extension' : `the extension ".${name.slice(dot + 1)}"`;
    const known = Object.keys(BY_EXTENSION).filter((ext) => typeAllowed(BY_EXTENSION[ext]!, limits.types));
    const expected = known.length ? `one of ${known.map((e) => `.${e}`).join(', ')}` : 'one the companion knows';
    return `The file name's extension must be ${expected} (received ${received}, declared: ${declared}); expected a file of one of ${allowed}.`;
  }
  if (byName !== declared && !typeAllowed(byName, limits.types))
    return `The file name's extension stands for ${byName}, which is not accepted (declared: ${declared}); expected one of ${allowed}.`;
  return undefined;
}

/**
 * Types the companion serves a stored file as (a browser may show them): anything else is served
 * as application/octet-stream (and always as an attachment, with nosniff).
 */
export const SHOWN_AS_IS: ReadonlySet<string> = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/bmp',
  'application/pdf',
  'text/plain',
]);

/** The `Content-Type` the companion serves a stored file with. */
export function servedType(type: string): string {
  const t = type.toLowerCase();
  return SHOWN_AS_IS.has(t) ? (t === 'text/plain' ? 'text/plain; charset=utf-8' : t) : 'application/octet-stream';
}

/**
 * A visitor's file name, decoded from `X-Porthole-File-Name` (`encodeURIComponent(name)`): 1 to
 * 255 characters and at most 255 bytes in UTF-8, no path separators, no control characters.
 * Returns the name or the problem.
 */
export function parseFileName(header: string | null | undefined): { ok: true; name: string } | { ok: false; problem: string } {
  if (header === null || header === undefined || header === '')
    return { ok: false, problem: 'Expected the header "X-Porthole-File-Name: <encodeURIComponent(file name)>".' };
  let name: string;
  try {
    name = decodeURIComponent(header);
  } catch {
    return {
      ok: false,
      problem: 'X-Porthole-File-Name must be the file name encoded with encodeURIComponent (received malformed percent-encoding).',
    };
  }
  const length = [...name].length;
  if (length < 1 || length > 255) return { ok: false, problem: `The file name must be 1 to 255 characters long (received ${length}).` };
  // Mattermost's file store keeps the name on disk (255 bytes at most on common file systems), and
  // its URL check (ServiceSettings.MaximumURLLength, 2,048) refuses longer encoded names (414).
  const bytes = new TextEncoder().encode(name).length;
  if (bytes > 255)
    return {
      ok: false,
      problem: `The file name must be at most 255 bytes in UTF-8 (received ${length} characters, ${bytes} bytes); shorten it.`,
    };
  if (/[/\\]/.test(name)) return { ok: false, problem: 'The file name must not contain "/" or "\\".' };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name))
    return { ok: false, problem: 'The file name must not contain control characters.' };
  if (name.trim() === '' || name === '.' || name === '..') return { ok: false, problem: 'The file name must not be empty, "." or "..".' };
  return { ok: true, name };
}

/** `Content-Disposition: attachment` with the name in RFC 5987 form (and a plain ASCII fallback). */
export function attachmentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
