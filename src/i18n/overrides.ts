import * as z from 'zod/mini';

// The site's `strings` over the built-in ones. A chunk of its own (zod with it), loaded by
// loadStrings (./index.ts) only once a site sets `strings`: other pages never pay for it.

/** Where the lazy parts' overrides sit in `strings`; each part applies its own when it loads (src/i18n/parts.ts). */
const PARTS = ['privacy', 'attachments', 'contactForm'];

const isFunction = z.custom<(...args: never[]) => string>((v) => typeof v === 'function', { error: 'expected a function' });

/** A strict schema of `base`'s shape: every key optional, strings strings, functions functions, objects likewise. */
function schemaOf(base: object, top: boolean): z.ZodMiniType {
  const shape: Record<string, z.ZodMiniType> = {};
  for (const [key, value] of Object.entries(base))
    shape[key] = z.optional(typeof value === 'string' ? z.string() : typeof value === 'function' ? isFunction : schemaOf(value, false));
  // A part's keys are checked by the part, once it loads.
  if (top) for (const part of PARTS) shape[part] = z.optional(z.looseObject({}));
  return z.strictObject(shape);
}

/** Schemas by the shape's first key ("title" for the panel's strings, "download" for the menu's…). */
const schemas = new Map<string, z.ZodMiniType>();
/** Results by base strings and overrides, so a render gets the same object back (the panel's `guard` relies on it). */
const results = new WeakMap<object, WeakMap<object, object>>();

/** The value at `path` inside `o` (undefined when missing). */
const at = (o: unknown, path: PropertyKey[]): unknown =>
  path.reduce((v: unknown, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k], o);
/** Overrides that are no object at all, reported once each. */
const reported = new Set<unknown>();
const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

/**
 * `base` with the valid entries of `changes` over it. Unknown keys and values of the wrong type are
 * reported with `console.error` (what was expected, what was received) and left out; an override
 * function that throws or returns no string is reported once and the built-in text shows instead.
 * `part`: the lazy part whose strings `base` is (`privacy`…), for the messages.
 *
 * @example
 * override(en, { send: 'Go', sned: 'x' }); // en with send "Go"; console: unknown key strings.sned
 */
export function override<T extends object>(base: T, changes: object, part?: string): T {
  const where = part ? `strings.${part}` : 'strings';
  if (typeof changes !== 'object' || !changes) {
    if (!reported.has(changes))
      console.error(`<porthole-chat>: ${where} expected an object, received ${typeOf(changes)}; showing the built-in texts`);
    reported.add(changes);
    return base;
  }
  let byChanges = results.get(base);
  const known = byChanges?.get(changes) as T | undefined;
  if (known) return known;
  const key = Object.keys(base)[0];
  let schema = schemas.get(key);
  if (!schema) schemas.set(key, (schema = schemaOf(base, !part)));
  const bad = new Set<string>();
  const result = z.safeParse(schema, changes);
  for (const issue of result.error?.issues ?? []) {
    const path = issue.path.join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) bad.add(path ? `${path}.${k}` : k);
      console.error(
        `<porthole-chat>: unknown ${where} key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => [where, path, k].filter(Boolean).join('.')).join(', ')}, ignored; expected one of ${[...Object.keys(at(base, issue.path) as object), ...(path || part ? [] : PARTS)].join(', ')}`,
      );
    } else {
      bad.add(path);
      const received = typeOf(at(changes, issue.path));
      const expected =
        issue.code === 'invalid_type' ? `expected ${issue.expected === 'object' ? 'an object' : `a ${issue.expected}`}` : issue.message;
      console.error(
        `<porthole-chat>: ${[where, path].filter(Boolean).join('.')} ${expected}, received ${received}; showing the built-in text`,
      );
    }
  }
  const merged = bad.has('') ? base : merge(base, changes as Record<string, unknown>, bad, '', where);
  if (!byChanges) results.set(base, (byChanges = new WeakMap()));
  byChanges.set(changes, merged);
  return merged;
}

function merge<T extends object>(base: T, changes: Record<string, unknown>, bad: Set<string>, prefix: string, where: string): T {
  const out = { ...base } as Record<string, unknown>;
  for (const [key, value] of Object.entries(changes)) {
    const path = prefix + key;
    if (bad.has(path) || !Object.hasOwn(base, key)) continue;
    const builtIn = (base as Record<string, unknown>)[key];
    out[key] =
      typeof builtIn === 'function'
        ? guarded(value as (...args: unknown[]) => unknown, builtIn as (...args: unknown[]) => string, `${where}.${path}`)
        : typeof builtIn === 'object'
          ? merge(builtIn as object, value as Record<string, unknown>, bad, `${path}.`, where)
          : value;
  }
  return out as T;
}

/** The site's function, or the built-in one where it throws or returns no string (reported once). */
function guarded(fn: (...args: unknown[]) => unknown, builtIn: (...args: unknown[]) => string, name: string) {
  let once = false;
  return (...args: unknown[]): string => {
    let problem: string;
    try {
      const text = fn(...args);
      if (typeof text === 'string') return text;
      problem = `returned ${typeOf(text)}, expected a string`;
    } catch (e) {
      problem = `threw ${String(e)}`;
    }
    if (!once)
      console.error(`<porthole-chat>: ${name}(${args.map((a) => JSON.stringify(a)).join(', ')}) ${problem}; showing the built-in text`);
    once = true;
    return builtIn(...args);
  };
}
