/**
 * Mask a run's secret values in text and structures: the same rules as the Python
 * redactor (shared/runtime/redact.py), written once in docs/integration.md, "Masking
 * rules", and checked by both against tests/vectors/redaction.json.
 *
 * A redactor never shows a value: its toString, toJSON and util.inspect output give only
 * how many values it holds, and everything derived from them lives in private fields.
 */

import { writeSync } from "node:fs";

import { AnchorScanner, ENCODE_MAX_UNITS, utf8Anchors } from "./anchors.js";

const ANCHOR_RUN = /[A-Za-z0-9._-]+/g; // characters that no transport escapes
const ANCHOR_MIN = 6;
const ANCHOR_MAX = 32;
// The scan for anchors skips ahead by about the shortest anchor's length (src/anchors.ts): a
// form whose longest run is shorter than this is its own anchor (any characters), if longer.
const ANCHOR_LONG = 16;
const PERCENT_HEX = /%[0-9A-F]{2}/g;
const JSON_U_HEX = /\\u([0-9a-f]{4})/g;
const LINE_BREAK = /\r\n|\r|\n/;
const SURROUNDING_WS = /^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$/g; // as Python's strip(" \t\n\r\f\v")
const WORD_CHAR = /[\p{L}\p{N}_]/u;
const INSPECT = Symbol.for("nodejs.util.inspect.custom");
const UTF8 = new TextEncoder();

/** What `Redactor#destination` returns: a synchronous log destination (pino takes one). */
export interface LogDestination {
  /** Writes the text to the file descriptor, redacted; true once it is all written. */
  write(text: string): boolean;
}

export interface RedactorOptions {
  /** What a match becomes (default `[REDACTED]`). */
  mask?: string;
  /** Values shorter than this many characters match only as whole tokens (default 4). */
  minLength?: number;
}

/** A form to compare where its anchor was found: the form, the anchor's offset in it, and
 * whether it matches only as a whole token. */
type Form = [string, number, boolean];

export class Redactor {
  readonly #mask: string;
  readonly #count: number;
  readonly #forms: Form[][] = []; // per anchor, as the scanner numbers them
  readonly #scanner: AnchorScanner; // "is any anchor in this text?": most texts hold no value
  readonly #anchors: string[];
  #encoded: AnchorScanner | null = null; // the same, on UTF-8 bytes: for destination()

  constructor(values: Iterable<string>, options: RedactorOptions = {}) {
    const minLength = options.minLength ?? 4;
    const unique = new Set<string>();
    for (const value of values) {
      if (typeof value !== "string" || !value.isWellFormed()) {
        throw new TypeError("Redactor values must be strings of well-formed Unicode text");
      }
      if (value) unique.add(value);
    }
    this.#mask = options.mask ?? "[REDACTED]";
    this.#count = unique.size;
    const anchors = new Map<string, Form[]>();
    for (const value of withParts(unique, minLength)) {
      const short = codePoints(value) < minLength;
      const forms = new Set<string>();
      for (const escaped of escapes(value)) for (const form of transports(escaped)) forms.add(form);
      if (!short) for (const encoded of base64Forms(value)) for (const f of transports(encoded)) forms.add(f);
      forms.delete("");
      for (const [anchor, list] of groupByAnchor(forms)) {
        if (!anchors.has(anchor)) anchors.set(anchor, []);
        for (const [form, offset] of list) anchors.get(anchor)!.push([form, offset, short]);
      }
    }
    this.#forms = [...anchors.values()];
    this.#anchors = [...anchors.keys()];
    this.#scanner = new AnchorScanner(this.#anchors);
  }

  /** The text with every match masked; the same string when nothing matched. */
  redactText(text: string): string {
    return this.#scanner.test(text) ? this.#maskSpans(text) : text;
  }

  /**
   * A log destination writing to `fd` (a file, or a pipe in blocking mode): each
   * `write(text)` writes the same bytes as `fs.writeSync(fd, redactor.redactText(text))`,
   * all of them before it returns. Cheaper than that for a logger: the text is encoded to
   * UTF-8 once and its bytes are checked for the values' anchors where they lie, where
   * `redactText` must first copy the text (and V8 flatten it) to read it, then `writeSync`
   * encode it again. Pass the line as written, newline included:
   * `pino({}, redactor.destination(1))`, or `dest.write(line + "\n")`.
   */
  destination(fd: number): LogDestination {
    const encoded = (this.#encoded ??= new AnchorScanner(utf8Anchors(this.#anchors)));
    const sink = (bytes: Uint8Array, length: number) => writeAll(fd, bytes, length);
    return {
      write: (text: string): boolean => {
        if (!encoded.encode(text, sink)) {
          // An anchor's bytes are there, or the text may not fit in one chunk: a short
          // text is masked where redactText would mask it, without asking again whether an
          // anchor is there (#maskSpans is exact either way: it locates every anchor).
          const bytes = UTF8.encode(text.length > ENCODE_MAX_UNITS ? this.redactText(text) : this.#maskSpans(text));
          writeAll(fd, bytes, bytes.length);
        }
        return true;
      },
    };
  }

  /**
   * A redacted copy: strings; arrays, plain objects (keys and values) and Maps, deeply;
   * an Error becomes its redacted "Name: message" line; anything else is returned as is.
   */
  redact<T>(obj: T): T;
  redact(obj: unknown): unknown {
    return this.#redact(obj, new Set());
  }

  toString(): string {
    return `Redactor(${this.#count} value${this.#count === 1 ? "" : "s"})`;
  }

  toJSON(): string {
    return this.toString();
  }

  [INSPECT](): string {
    return this.toString();
  }

  #redact(obj: unknown, active: Set<object>): unknown {
    if (typeof obj === "string") return this.redactText(obj);
    if (obj instanceof Error) return this.redactText(`${obj.name}: ${obj.message}`);
    if (obj === null || typeof obj !== "object") return obj;
    const plain = Array.isArray(obj) || obj instanceof Map || isPlainObject(obj);
    if (!plain) return obj;
    if (active.has(obj)) return this.#mask; // a container that holds itself
    active.add(obj);
    try {
      if (Array.isArray(obj)) return obj.map((item) => this.#redact(item, active));
      if (obj instanceof Map) {
        return new Map([...obj].map(([k, v]) => [this.#redact(k, active), this.#redact(v, active)]));
      }
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(obj)) out[this.redactText(key)] = this.#redact(value, active);
      return out;
    } finally {
      active.delete(obj);
    }
  }

  #maskSpans(text: string): string {
    const spans = this.#spans(text).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const merged: [number, number][] = []; // overlapping or touching spans become one
    for (const [start, end] of spans) {
      const last = merged[merged.length - 1];
      if (last && start <= last[1]) last[1] = Math.max(last[1], end);
      else merged.push([start, end]);
    }
    let out = "";
    let pos = 0;
    for (const [start, end] of merged) {
      out += text.slice(pos, start) + this.#mask;
      pos = end;
    }
    return out + text.slice(pos);
  }

  #spans(text: string): [number, number][] {
    const spans: [number, number][] = [];
    const found = this.#scanner.locate(text); // every anchor's every occurrence, in one pass
    for (let i = 0; i < found.length; i += 2) {
      // A form holds its anchor at a known offset: compare it in place.
      for (const [form, offset, wholeToken] of this.#forms[found[i]]) {
        const start = found[i + 1] - offset;
        const end = start + form.length;
        if (start >= 0 && text.startsWith(form, start) &&
            (!wholeToken || (!wordBefore(text, start) && !wordAt(text, end)))) {
          spans.push([start, end]);
        }
      }
    }
    return spans;
  }
}

/** A redactor for a run's resolved values (see `Redactor`). */
export function createRedactor(values: Iterable<string>, options?: RedactorOptions): Redactor {
  return new Redactor(values, options);
}

/** writeSync writes what the kernel takes at once: a pipe may take part of it. */
function writeAll(fd: number, bytes: Uint8Array, length: number): void {
  for (let done = 0; done < length;) done += writeSync(fd, bytes, done, length - done);
}

function isPlainObject(obj: object): boolean {
  const proto = Object.getPrototypeOf(obj);
  return proto === Object.prototype || proto === null;
}

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function wordAt(text: string, index: number): boolean {
  const cp = text.codePointAt(index);
  return cp !== undefined && WORD_CHAR.test(String.fromCodePoint(cp));
}

function wordBefore(text: string, index: number): boolean {
  if (index <= 0) return false;
  const low = text.charCodeAt(index - 1);
  const pair = index >= 2 && low >= 0xdc00 && low <= 0xdfff;
  return wordAt(text, pair && isHighSurrogate(text.charCodeAt(index - 2)) ? index - 2 : index - 1);
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

/** The values, and the parts GitHub's masker also masks (trimmed, each line, de-quoted);
 * parts shorter than `minLength` are dropped. */
function withParts(values: Set<string>, minLength: number): Set<string> {
  const parts = new Set<string>();
  for (const value of values) {
    for (const piece of [value, ...value.split(LINE_BREAK)]) {
      const trimmed = piece.replace(SURROUNDING_WS, "");
      parts.add(piece).add(trimmed);
      if (codePoints(trimmed) > 2 && trimmed.startsWith('"') && trimmed.endsWith('"')) {
        parts.add(trimmed.slice(1, -1));
      }
    }
  }
  const out = new Set(values);
  for (const part of parts) if (codePoints(part) >= minLength) out.add(part);
  return out;
}

/** As is, XML/HTML entities (each quote kept or escaped, every spelling), `'` doubled, `\"`. */
function escapes(text: string): Set<string> {
  const forms = new Set([text, text.replaceAll("'", "''"), text.replaceAll('"', '\\"')]);
  if (/[&<>"']/.test(text)) {
    const base = text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
    for (const quot of ['"', "&quot;"]) {
      for (const apos of ["'", "&#39;", "&apos;", "&#x27;"]) {
        forms.add(base.replaceAll('"', quot).replaceAll("'", apos));
      }
    }
  }
  return forms;
}

/** The text as is, JSON-escaped (Python's json.dumps and JSON.stringify) and URL-encoded. */
function transports(text: string): Set<string> {
  let forms = new Set([jsonEscape(text, true), jsonEscape(text, false)]);
  forms = union(forms, [...forms].map((f) => f.replaceAll("/", "\\/")));
  forms = union(forms, [...forms].map((f) => f.replace(JSON_U_HEX, (_, hex: string) => "\\u" + hex.toUpperCase())));
  forms = union(forms, [...forms].flatMap((f) => [jsonEscape(f, true), jsonEscape(f, false)]));
  for (const safe of ["", "/", "!'()*"]) { // Python's quote(), a path, encodeURIComponent
    for (const form of [quote(text, safe), quote(text, safe).replaceAll("%20", "+")]) {
      forms.add(form).add(form.replace(PERCENT_HEX, (m) => m.toLowerCase()));
    }
  }
  return forms.add(text);
}

function union(set: Set<string>, more: string[]): Set<string> {
  for (const item of more) set.add(item);
  return set;
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f",
};

/** `json.dumps(text, ensure_ascii=ascii)[1:-1]`, exactly as Python writes it. */
function jsonEscape(text: string, ascii: boolean): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const unit = text.charCodeAt(i);
    if (SHORT_ESCAPES[ch] !== undefined) out += SHORT_ESCAPES[ch];
    else if (unit < 0x20 || (ascii && unit > 0x7e)) out += "\\u" + unit.toString(16).padStart(4, "0");
    else out += ch;
  }
  return out;
}

const ALWAYS_SAFE = /[A-Za-z0-9_.\-~]/;

/** Python's `urllib.parse.quote(text, safe)`; with "+" for " " it is `quote_plus`. */
function quote(text: string, safe: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(text)) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && (ALWAYS_SAFE.test(ch) || safe.includes(ch))
      ? ch : "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

function base64Forms(value: string): Set<string> {
  const data = new TextEncoder().encode(value);
  const forms = new Set<string>();
  for (const urlsafe of [false, true]) {
    const encode = (bytes: Uint8Array) => base64(bytes, urlsafe);
    const whole = encode(data);
    forms.add(whole).add(whole.replace(/=+$/, ""));
    for (let k = 0; k < 3; k++) { // the value starting k bytes into a 3-byte group
      const shifted = new Uint8Array(k + data.length);
      shifted.set(data, k);
      // Character i carries bits 6i..6i+5; keep those carrying only the value's bits.
      forms.add(encode(shifted).slice(Math.floor((8 * k + 5) / 6), Math.floor((8 * k + 8 * data.length) / 6)));
    }
  }
  return forms;
}

function base64(bytes: Uint8Array, urlsafe: boolean): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  const std = btoa(binary);
  return urlsafe ? std.replaceAll("+", "-").replaceAll("/", "_") : std;
}

/** Each form, and where its anchor starts in it, under an anchor; few anchors. */
function groupByAnchor(forms: Set<string>): Map<string, [string, number][]> {
  const byAnchor = new Map<string, [string, number][]>();
  const sorted = [...forms].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  for (const form of sorted) { // short forms' anchors first
    let anchor = [...byAnchor.keys()].find((a) => form.includes(a));
    if (anchor === undefined) {
      const run = (form.match(ANCHOR_RUN) ?? []).reduce((best, r) => (r.length > best.length ? r : best), "");
      const long = run.length >= ANCHOR_LONG || form.length <= run.length ? run : form;
      anchor = (long.length >= ANCHOR_MIN ? long : form).slice(0, ANCHOR_MAX);
      byAnchor.set(anchor, []);
    }
    byAnchor.get(anchor)!.push([form, form.indexOf(anchor)]);
  }
  return byAnchor;
}
