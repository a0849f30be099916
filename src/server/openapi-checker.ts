// Tests only (excluded from the build, like test-support.ts). Checks real responses against the
// companion's OpenAPI document (`GET /openapi.json`): the status is one the operation lists, the
// content type is the documented one, the body matches the documented JSON Schema (ajv's 2020-12
// draft, the dialect of OpenAPI 3.1, with formats), and every required response header is present
// and matches its schema.
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ValidateFunction } from 'ajv';

// ajv-formats is CommonJS: its default export arrives wrapped under tsx/ESM.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as (
  ajv: Ajv2020,
) => Ajv2020;

interface HeaderDoc {
  required?: boolean;
  schema?: object;
}
interface ResponseDoc {
  description?: string;
  headers?: Record<string, HeaderDoc>;
  content?: Record<string, { schema?: object }>;
}
interface OperationDoc {
  responses?: Record<string, ResponseDoc>;
}
/** The parts of an OpenAPI 3.1 document the checker reads. */
export interface OpenApiDocumentLike {
  openapi: string;
  paths?: Record<string, Record<string, OperationDoc | undefined> | undefined>;
}

/** What one checked response was. */
export interface CheckedResponse {
  status: number;
  /** The parsed JSON body, or the text, or undefined when empty. */
  body: unknown;
}

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
const mediaType = (contentType: string | null) => (contentType ?? '').split(';')[0]!.trim().toLowerCase();

/**
 * Validates responses against one OpenAPI document.
 *
 * @example
 * ```ts
 * const checker = new OpenApiChecker(await (await fetch(`${base}/openapi.json`)).json());
 * const { body } = await checker.check('GET', '/v1/agents', await fetch(`${base}/v1/agents`, { headers }));
 * ```
 */
export class OpenApiChecker {
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(readonly document: OpenApiDocumentLike) {
    if (!/^3\.1\./.test(document.openapi))
      throw new Error(`Expected an OpenAPI 3.1 document; received openapi ${JSON.stringify(document.openapi)}.`);
    // Not strict: the document carries OpenAPI keywords (description, example, …) beside JSON Schema's.
    this.ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
    this.ajv.addSchema(document as object, 'openapi');
  }

  private validator(ref: string): ValidateFunction {
    let v = this.compiled.get(ref);
    if (!v) {
      v = this.ajv.compile({ $ref: `openapi#/${ref}` });
      this.compiled.set(ref, v);
    }
    return v;
  }

  /** Every problem of `res` as the answer to `method path` (empty: it conforms). Reads the body. */
  async problems(method: string, path: string, res: Response): Promise<{ problems: string[]; checked: CheckedResponse }> {
    const problems: string[] = [];
    const text = await res.text();
    let body: unknown = text === '' ? undefined : text;
    const operation = this.document.paths?.[path]?.[method.toLowerCase()];
    if (!operation) return { problems: [`${method} ${path} is not in the document`], checked: { status: res.status, body } };
    const listed = Object.keys(operation.responses ?? {});
    const response = operation.responses?.[String(res.status)];
    if (!response) {
      problems.push(
        `status ${res.status} is not documented for ${method} ${path} (documented: ${listed.join(', ')}); body: ${text.slice(0, 300)}`,
      );
      return { problems, checked: { status: res.status, body } };
    }
    const base = pointer('paths', path, method.toLowerCase(), 'responses', String(res.status));
    const content = response.content ?? {};
    const types = Object.keys(content);
    if (types.length === 0) {
      if (text !== '') problems.push(`status ${res.status} documents no body; received ${JSON.stringify(text.slice(0, 200))}`);
    } else {
      const type = mediaType(res.headers.get('Content-Type'));
      if (!types.includes(type)) {
        problems.push(`Content-Type ${JSON.stringify(res.headers.get('Content-Type'))} is not documented (expected ${types.join(' or ')})`);
      } else if (content[type]?.schema) {
        if (type === 'application/json') {
          try {
            body = JSON.parse(text);
          } catch {
            problems.push(`the body is not JSON: ${JSON.stringify(text.slice(0, 200))}`);
          }
        }
        if (problems.length === 0) {
          const validate = this.validator(`${base}/${pointer('content', type, 'schema')}`);
          if (!validate(body))
            problems.push(
              `the body does not match the schema of ${res.status}: ${this.ajv.errorsText(validate.errors)}; body: ${text.slice(0, 300)}`,
            );
        }
      }
    }
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      const value = res.headers.get(name);
      if (value === null) {
        if (header.required) problems.push(`the required header ${name} is missing`);
        continue;
      }
      if (header.schema) {
        const validate = this.validator(`${base}/${pointer('headers', name, 'schema')}`);
        if (!validate(value)) problems.push(`the header ${name}: ${JSON.stringify(value)} ${this.ajv.errorsText(validate.errors)}`);
      }
    }
    return { problems, checked: { status: res.status, body } };
  }

  /** Throws, naming every problem, unless `res` conforms; returns its status and parsed body. */
  async check(method: string, path: string, res: Response): Promise<CheckedResponse> {
    const { problems, checked } = await this.problems(method, path, res);
    if (problems.length > 0) throw new Error(`${method} ${path} → ${res.status} breaks the OpenAPI document:\n- ${problems.join('\n- ')}`);
    return checked;
  }
}
