/**
 * Render `{{secrets.NAME}}` placeholders in a step's config: the grammar of the Python
 * runtime (shared/runtime/templating.py).
 *
 * A config is any JSON-like structure. Only string values are rendered; object keys are
 * not. Other placeholders (`{{input.body}}`, `{{ steps.x.output }}`) are left exactly as
 * written for MeshHook's own templating. A value is substituted once and never scanned
 * again. An unknown name is an error naming every unknown name; so is a placeholder that
 * starts like one (`{{ secrets.`) but is not valid (`{{ secrets.my-key }}`). Errors name
 * secrets, never values.
 */

const NAME = "[A-Za-z_][A-Za-z0-9_]{0,127}";
const PLACEHOLDER = new RegExp(`\\{\\{\\s*secrets\\.(${NAME})\\s*\\}\\}`, "g");
const PLACEHOLDER_AT = new RegExp(`\\{\\{\\s*secrets\\.(${NAME})\\s*\\}\\}`, "y");
const LOOKS_LIKE = /\{\{\s*secrets\s*\./g;
const SNIPPET_CHARS = 80;

/** The values a config renders with: a plain object, a Map, or a RunSecrets. */
export type SecretValues = Readonly<Record<string, string>> | { get(name: string): string | undefined };

export class TemplateError extends Error {
  override name = "TemplateError";
}

/** Placeholders name secrets that were not given; `names` lists them all, sorted. */
export class UnknownSecretError extends TemplateError {
  override name = "UnknownSecretError";
  readonly names: string[];

  constructor(names: string[]) {
    const sorted = [...new Set(names)].sort();
    super("unknown secrets: " + sorted.join(", "));
    this.names = sorted;
  }
}

/** A `{{ secrets.… }}` placeholder whose name is not a valid secret name. */
export class MalformedPlaceholderError extends TemplateError {
  override name = "MalformedPlaceholderError";
  readonly placeholders: string[];

  constructor(placeholders: string[]) {
    super("malformed secret placeholders (a name is a letter or underscore, then up to 127"
      + " letters, digits or underscores): " + placeholders.map((p) => JSON.stringify(p)).join(", "));
    this.placeholders = placeholders;
  }
}

/** Every secret name the config's strings reference, sorted and deduplicated. */
export function findSecretNames(config: unknown): string[] {
  const names = new Set<string>();
  const malformed: string[] = [];
  for (const text of strings(config)) scan(text, names, malformed);
  if (malformed.length) throw new MalformedPlaceholderError(malformed);
  return [...names].sort();
}

/**
 * A copy of `config` with every secret placeholder replaced by its value. Everything is
 * checked before anything is rendered. Names match exactly (case-sensitive).
 */
export function render<T>(config: T, secrets: SecretValues): T {
  const lookup = valueOf(secrets);
  const names = findSecretNames(config);
  const missing = names.filter((name) => lookup(name) === undefined);
  if (missing.length) throw new UnknownSecretError(missing);
  for (const name of names) {
    if (typeof lookup(name) !== "string") throw new TypeError(`the value of secret "${name}" is not a string`);
  }
  const walk = (node: unknown): unknown => {
    if (typeof node === "string") {
      return node.includes("{{") ? node.replace(PLACEHOLDER, (_, name: string) => lookup(name) as string) : node;
    }
    if (Array.isArray(node)) return node.map(walk);
    if (isPlainObject(node)) {
      return Object.fromEntries(Object.entries(node as object).map(([key, value]) => [key, walk(value)]));
    }
    return node;
  };
  return walk(config) as T;
}

function valueOf(secrets: SecretValues): (name: string) => unknown {
  if (typeof (secrets as { get?: unknown }).get === "function") {
    const getter = secrets as { get(name: string): unknown };
    return (name) => getter.get(name);
  }
  const record = secrets as Record<string, unknown>;
  return (name) => (Object.hasOwn(record, name) ? record[name] : undefined);
}

function isPlainObject(node: unknown): boolean {
  if (node === null || typeof node !== "object") return false;
  const proto = Object.getPrototypeOf(node);
  return proto === Object.prototype || proto === null;
}

function* strings(node: unknown): Generator<string> {
  if (typeof node === "string") yield node;
  else if (Array.isArray(node)) for (const item of node) yield* strings(item);
  else if (isPlainObject(node)) for (const value of Object.values(node as object)) yield* strings(value);
}

function scan(text: string, names: Set<string>, malformed: string[]): void {
  if (!text.includes("{{")) return; // the common case: no placeholder at all
  for (const start of text.matchAll(LOOKS_LIKE)) {
    const at = start.index!;
    PLACEHOLDER_AT.lastIndex = at;
    const match = PLACEHOLDER_AT.exec(text);
    if (match) {
      names.add(match[1]);
    } else {
      const end = text.indexOf("}}", at);
      const stop = end !== -1 && end + 2 <= at + SNIPPET_CHARS ? end + 2 : at + SNIPPET_CHARS;
      malformed.push(text.slice(at, stop));
    }
  }
}
