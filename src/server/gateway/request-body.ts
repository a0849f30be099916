// Reads and validates a JSON request body for the visitor API, with errors that say what was
// expected and what was received. The size cap is Hono's bodyLimit in front of it.
import type { Context } from 'hono';
import type { z } from 'zod';
import { HttpError } from '../errors.js';

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Parses the body as JSON and validates it with `schema`.
 *
 * @param expected - the shape, for messages, e.g. `{"clientId": uuid, "text": string}`.
 * @param options.allowEmpty - an empty body stands for `{}`.
 * @throws {HttpError} 415 `unsupported_media_type`, 400 `invalid_json` or 400 `invalid_body`.
 */
export async function readJsonBody<T>(
  c: Context,
  schema: z.ZodType<T>,
  expected: string,
  options: { allowEmpty?: boolean } = {},
): Promise<T> {
  const text = await c.req.text();
  let json: unknown = {};
  if (text.trim() !== '' || !options.allowEmpty) {
    const type = c.req.header('Content-Type') ?? '';
    if (!/^application\/json\b/i.test(type)) {
      throw new HttpError(
        415,
        'unsupported_media_type',
        `Expected Content-Type: application/json (received ${type ? JSON.stringify(type.slice(0, 100)) : 'none'}).`,
      );
    }
    try {
      json = JSON.parse(text);
    } catch {
      throw new HttpError(400, 'invalid_json', `The body is not valid JSON. Expected ${expected}.`);
    }
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new HttpError(400, 'invalid_body', `Expected a JSON object ${expected}; received ${kindOf(json)}.`);
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}`;
    const field = issue.path.join('.');
    const got = (json as Record<string, unknown>)[String(issue.path[0])];
    return `"${field}" ${issue.message.replace(/^Invalid input: /, '')} (received ${kindOf(got)})`;
  });
  throw new HttpError(400, 'invalid_body', `Invalid request: ${problems.join('; ')}. Expected ${expected}.`);
}
