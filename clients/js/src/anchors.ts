/**
 * Where a redactor's anchors occur in a text, in one pass: most texts hold none, so the
 * pass must be cheap (on the bench's 1.1 KB log lines it reads one word in five).
 *
 * The text's code units are copied, low byte each (Buffer's latin1 write, native), into a
 * scratch buffer read as 32-bit words. With `m` the shortest anchor (at most 32), every
 * window of m units holds at least s = floor((m - 3) / 4) whole words, s in a row. So
 * reading every s-th word (words s-1, 2s-1, ...) reads, for every window, exactly one
 * word that starts fewer than 4s units into it. A table holds the hash of every 4-unit
 * block that starts j < 4s units into an anchor, with the anchor and j: a sampled word
 * whose hash is not there starts no anchor 4k - j units in; one that is, is checked with
 * startsWith on the text itself. Low bytes and hashes can only add false candidates, so
 * any UTF-16 text (non-ASCII, lone surrogates) is matched unit for unit, as indexOf does.
 * Anchors shorter than SCAN_MIN would make s too small: indexOf looks for them instead.
 *
 * The tables derive from secret values: they live in private fields only. The scratch buffer
 * is module-private and holds no table; after a text in which an anchor was found it is
 * zeroed, so it never keeps the bytes of a text that held a value.
 */

const SCAN_MIN = 11; // s >= 2: the scan reads at most half the words
const WINDOW_MAX = 32; // j < 4s <= 29 fits the 5 bits a bucket entry gives it
const CHUNK = 16384; // units copied at a time (a multiple of 4): longer texts go in chunks
/** A text of at most this many units fits in one chunk as UTF-8 (3 bytes a unit at most). */
export const ENCODE_MAX_UNITS = CHUNK / 3;
// A sampled word is a candidate when two hashes of it are both some anchor block's, a bit
// per hash in two 8 KB tables (small enough to stay cached between log lines; a 64 KB byte
// table was no faster). For 1,000 blocks 1.5% of words pass the first, 0.02% both.
const HASH_BITS = 16;
const HASH_MUL = 0x9e3779b1;
const HASH_MUL2 = 0x85ebca77;

interface NodeBuffer extends Uint8Array {
  write(text: string, offset: number, length: number, encoding: "latin1" | "utf8"): number;
}
type Searchable = { indexOf(value: string, byteOffset: number, encoding: "latin1"): number }; // a Buffer
type BufferClass = { alloc(size: number): NodeBuffer }; // zero-filled, not from the pool

// One scratch buffer for all redactors (a scan runs to its end before the next starts). A
// module constant: V8 then embeds it in the scan's code, which saves ~15 ns a text.
const NODE_BUFFER = (globalThis as { Buffer?: BufferClass }).Buffer;
const SCRATCH: Uint8Array = NODE_BUFFER ? NODE_BUFFER.alloc(CHUNK) : new Uint8Array(CHUNK);
const WORDS = new Uint32Array(SCRATCH.buffer, SCRATCH.byteOffset, CHUNK >> 2);

export class AnchorScanner {
  readonly #anchors: string[];
  readonly #short: number[] = []; // indexes of the anchors looked for with indexOf
  readonly #window: number; // m: 0 when no anchor is scanned for
  readonly #stride: number; // s, in words
  readonly #seen = new Int32Array(1 << (HASH_BITS - 5)); // a bit per first hash
  readonly #seen2 = new Int32Array(1 << (HASH_BITS - 5)); // a bit per second hash
  readonly #buckets = new Map<number, number[]>(); // hash -> anchor * 32 + j
  readonly #native: boolean; // copy with Buffer's latin1 write (else charCodeAt, slower)

  constructor(anchors: string[], native = NODE_BUFFER !== undefined) {
    this.#anchors = anchors;
    this.#native = native && NODE_BUFFER !== undefined;
    const long = anchors.filter((a) => a.length >= SCAN_MIN);
    this.#window = long.length ? Math.min(WINDOW_MAX, ...long.map((a) => a.length)) : 0;
    this.#stride = (this.#window - 3) >> 2;
    const block = new Uint8Array(4);
    const blockWord = new Uint32Array(block.buffer); // read as WORDS is: same byte order
    anchors.forEach((anchor, index) => {
      if (anchor.length < SCAN_MIN) return void this.#short.push(index);
      for (let j = 0; j < 4 * this.#stride; j++) {
        for (let i = 0; i < 4; i++) block[i] = anchor.charCodeAt(j + i);
        const h = hashWord(blockWord[0]);
        const g = hashWord2(blockWord[0]);
        this.#seen[h >>> 5] |= 1 << (h & 31);
        this.#seen2[g >>> 5] |= 1 << (g & 31);
        const bucket = this.#buckets.get(h) ?? [];
        this.#buckets.set(h, bucket);
        bucket.push(index * 32 + j);
      }
    });
  }

  /** Whether any anchor occurs in the text. */
  test(text: string): boolean {
    if (this.#short.length !== 0 && this.#findShort(text, null)) return true;
    if (this.#window === 0 || text.length < this.#window) return false;
    if (text.length > CHUNK || !this.#native) return this.#scan(text, null);
    // The usual text, one chunk: the same as #scan without its loop (~20 ns a text less).
    const n = (SCRATCH as NodeBuffer).write(text, 0, CHUNK, "latin1");
    return this.#chunk(text, 0, n, null) && wipe(n);
  }

  /**
   * For a scanner built on `utf8Anchors`: the text's UTF-8 bytes, written to the scratch
   * buffer and scanned there. Calls `sink(bytes, length)` with them and returns true when
   * no anchor is in them; the sink must use the bytes at once and keep no reference.
   * Returns false, having called nothing and wiped what it wrote, when one is, or when the
   * text might not fit in one chunk (then the caller redacts the text itself).
   */
  encode(text: string, sink: (bytes: Uint8Array, length: number) => void): boolean {
    if (!this.#native || text.length > ENCODE_MAX_UNITS) return false;
    const n = (SCRATCH as NodeBuffer).write(text, 0, CHUNK, "utf8");
    const hit = this.#shortBytes(n) || (this.#window !== 0 && n >= this.#window && this.#chunk(null, 0, n, null));
    if (hit) return !wipe(n);
    sink(SCRATCH, n);
    return true;
  }

  /** Every occurrence of every anchor, as pairs: anchor index, where it starts. */
  locate(text: string): number[] {
    const found: number[] = [];
    this.#findShort(text, found);
    if (this.#window !== 0 && this.#scan(text, found)) wipe(CHUNK);
    return found;
  }

  /** The short anchors' occurrences into `found`; without it, whether there is one. */
  #findShort(text: string, found: number[] | null): boolean {
    for (const index of this.#short) {
      const anchor = this.#anchors[index];
      for (let at = text.indexOf(anchor); at !== -1; at = text.indexOf(anchor, at + 1)) {
        if (!found) return true;
        found.push(index, at);
      }
    }
    return false;
  }

  /** Whether a short anchor's bytes are in the scratch buffer's first n bytes. */
  #shortBytes(n: number): boolean {
    if (this.#short.length === 0) return false;
    const bytes = SCRATCH.subarray(0, n) as unknown as Searchable; // a Buffer's subarray is one
    return this.#short.some((index) => bytes.indexOf(this.#anchors[index], 0, "latin1") !== -1);
  }

  /** The scanned anchors' occurrences into `found`; without it, whether there is one. */
  #scan(text: string, found: number[] | null): boolean {
    const m = this.#window;
    // Chunks overlap by m - 1 units: each window of the text is a window of one chunk.
    for (let start = 0; start + m <= text.length; start += CHUNK - m + 1) {
      if (this.#chunk(text, start, this.#copy(text, start), found) && !found) return wipe(CHUNK);
    }
    return found !== null && found.length !== 0;
  }

  /** The anchors starting in windows [start, start + n - m] of the text, copied from start
   * (text null: in the scratch buffer's bytes, an encoded text's). */
  #chunk(text: string | null, start: number, n: number, found: number[] | null): boolean {
    const s = this.#stride;
    const end = n >> 2; // words wholly inside the chunk
    let any = false;
    for (let k = nextSample(WORDS, this.#seen, this.#seen2, s - 1, end, s); k !== -1;
      k = nextSample(WORDS, this.#seen, this.#seen2, k + s, end, s)) {
      if (this.#check(text, start, n, k, found)) {
        if (!found) return true;
        any = true;
      }
    }
    return any;
  }

  /** Copies the low bytes of up to CHUNK units from `start` to the scratch buffer. */
  #copy(text: string, start: number): number {
    const n = Math.min(CHUNK, text.length - start);
    if (this.#native) return (SCRATCH as NodeBuffer).write(text.substring(start, start + n), 0, n, "latin1");
    for (let i = 0; i < n; i++) SCRATCH[i] = text.charCodeAt(start + i); // keeps the low byte
    return n;
  }

  /** The anchors starting in the chunk's windows (at most n - m) that word k is in. */
  #check(text: string | null, start: number, n: number, k: number, found: number[] | null): boolean {
    let any = false;
    for (const entry of this.#buckets.get(hashWord(WORDS[k]))!) {
      const index = entry >>> 5;
      const at = 4 * k - (entry & 31);
      const anchor = this.#anchors[index];
      if (at >= 0 && at <= n - this.#window &&
          (text === null ? bytesAt(anchor, at, n) : text.startsWith(anchor, start + at))) {
        if (!found) return true;
        found.push(index, start + at);
        any = true;
      }
    }
    return any;
  }
}

/** Whether the scratch buffer's bytes from `at` (below n) are the byte string's. */
function bytesAt(bytes: string, at: number, n: number): boolean {
  if (at + bytes.length > n) return false;
  for (let i = 0; i < bytes.length; i++) if (SCRATCH[at + i] !== bytes.charCodeAt(i)) return false;
  return true;
}

/**
 * Each anchor's UTF-8 bytes, one character (0-255) a byte: the anchors of a scanner that
 * `encode`s. Where an anchor occurs in a text, its bytes occur in the text's UTF-8, with one
 * exception handled here: an anchor cut after 32 units inside a surrogate pair ends with a
 * lone high surrogate, which UTF-8 writes as U+FFFD, while the text holds the whole pair;
 * that unit is dropped (a prefix of an anchor occurs wherever the anchor does).
 */
export function utf8Anchors(anchors: string[]): string[] {
  const encoder = new TextEncoder();
  return anchors.map((anchor) => {
    const last = anchor.charCodeAt(anchor.length - 1);
    const whole = last >= 0xd800 && last <= 0xdbff ? anchor.slice(0, -1) : anchor;
    return String.fromCharCode(...encoder.encode(whole));
  });
}

/** A text that held an anchor (a value, in some form) leaves none of its bytes behind in
 * the scratch buffer: its first n bytes, all a one-chunk text wrote, are zeroed (the whole
 * buffer costs 1-2% of the benchmark's logging, for 1 line in 50). Beyond n lie only bytes
 * of texts that held no anchor, or zeros. Returns true. */
function wipe(n: number): true {
  SCRATCH.fill(0, 0, n);
  return true;
}

function hashWord(word: number): number {
  return Math.imul(word, HASH_MUL) >>> (32 - HASH_BITS);
}

function hashWord2(word: number): number {
  return Math.imul(word, HASH_MUL2) >>> (32 - HASH_BITS);
}

/** The first of words k, k + s, ... before `end` whose two hashes are an anchor block's,
 * or -1. The hot loop: typed arrays in, no allocation, no call but the inlined hashes. */
function nextSample(words: Uint32Array, seen: Int32Array, seen2: Int32Array, k: number, end: number,
  s: number): number {
  for (; k < end; k += s) {
    const word = words[k];
    const h = hashWord(word);
    if ((seen[h >>> 5] & (1 << (h & 31))) !== 0) {
      const g = hashWord2(word);
      if ((seen2[g >>> 5] & (1 << (g & 31))) !== 0) return k;
    }
  }
  return -1;
}

/** For tests: whether the scratch buffer is all zeros (it never says what it holds). */
export function scratchIsZero(): boolean {
  return SCRATCH.every((byte) => byte === 0);
}
