/**
 * Resolve a workflow run's secrets over HTTP with its runner token: one call to
 * `POST {baseUrl}/api/projects/{projectId}/secrets/resolve`.
 *
 * Errors are classes by status (401, 403, 404, 429, 503, and SecretsError for the rest),
 * each with `status` and `code` (the API's error code). A 503 is retried with exponential
 * backoff and full jitter, or after the server's `Retry-After` when it sends one; nothing
 * else is retried (a 4xx would fail the same way again). No error, and no RunSecrets
 * printed, logged or inspected, ever shows a value.
 */

import { createRedactor, Redactor, type RedactorOptions } from "./redact.js";
import { render } from "./render.js";

const INSPECT = Symbol.for("nodejs.util.inspect.custom");
const UNKNOWN_PREFIX = "unknown secrets: ";

/** An error answer of the secrets API (or no answer at all: status 0, code `network_error`). */
export class SecretsError extends Error {
  override name = "SecretsError";
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(`resolve failed: ${status} ${code}: ${message}`);
    this.status = status;
    this.code = code;
  }
}

/** 401: the runner token is missing, malformed, expired or not signed with the JWT secret. */
export class UnauthorizedError extends SecretsError {
  override name = "UnauthorizedError";
}

/** 403: the token is valid but may not resolve (a user token: users reveal, runs resolve). */
export class ForbiddenError extends SecretsError {
  override name = "ForbiddenError";
}

/** 404: no such project for this token (also a runner token of another project). */
export class NotFoundError extends SecretsError {
  override name = "NotFoundError";
}

/** 404 naming secrets the project does not have; `missing` lists them. Nothing was resolved. */
export class UnknownSecretsError extends NotFoundError {
  override name = "UnknownSecretsError";
  readonly missing: string[];

  constructor(status: number, code: string, message: string, missing: string[]) {
    super(status, code, message);
    this.missing = missing;
  }
}

/** 429: too many requests; `retryAfter` is the server's Retry-After in seconds, if sent. */
export class RateLimitedError extends SecretsError {
  override name = "RateLimitedError";
  retryAfter?: number;
}

/** 503 (after every retry): the service or its database is not answering. */
export class UnavailableError extends SecretsError {
  override name = "UnavailableError";
}

/** A run's resolved values, the renderer for its step configs, and its redactor. */
export class RunSecrets {
  readonly #values: Map<string, string>;
  #redactor?: Redactor;

  constructor(values: Readonly<Record<string, string>> | Map<string, string>) {
    this.#values = new Map(values instanceof Map ? values : Object.entries(values));
  }

  get names(): string[] {
    return [...this.#values.keys()].sort();
  }

  get(name: string): string | undefined {
    return this.#values.get(name);
  }

  has(name: string): boolean {
    return this.#values.has(name);
  }

  /** The config with every `{{secrets.NAME}}` filled in; unknown names throw. */
  render<T>(config: T): T {
    return render(config, this);
  }

  /** The redactor of these values (built once, on first use). */
  redactor(options?: RedactorOptions): Redactor {
    if (options) return createRedactor(this.#values.values(), options);
    this.#redactor ??= createRedactor(this.#values.values());
    return this.#redactor;
  }

  toString(): string {
    return `RunSecrets(names=${JSON.stringify(this.names)})`;
  }

  toJSON(): { names: string[] } {
    return { names: this.names };
  }

  [INSPECT](): string {
    return this.toString();
  }
}

export interface ResolveOptions {
  /** The service's URL, e.g. `https://secrets.example.com` (a trailing slash is fine). */
  baseUrl: string;
  projectId: string;
  /** The run's runner token (HS256 JWT, role `workflow_runner`). */
  runnerToken: string;
  /** The secret names the run needs (see findSecretNames). */
  names: string[];
  /** A fetch implementation (default: the global fetch of Node 20). */
  fetch?: typeof fetch;
  /** How many times a 503 is retried (default 3, so at most 4 calls). */
  retries?: number;
  /** The first backoff's upper bound in ms (default 200; doubled each retry, full jitter). */
  backoffMs?: number;
  /** The longest wait between two calls, in ms, Retry-After included (default 10000). */
  maxDelayMs?: number;
  /** Per-call timeout in ms (default 10000). */
  timeoutMs?: number;
  /** How to wait (default: a timer); tests pass their own. */
  sleep?: (ms: number) => Promise<void>;
}

/** The run's secrets, in one resolve call (plus retries on 503). */
export async function resolveRunSecrets(options: ResolveOptions): Promise<RunSecrets> {
  const { baseUrl, projectId, runnerToken, names } = options;
  if (!Array.isArray(names) || names.length === 0) return new RunSecrets({});
  const doFetch = options.fetch ?? fetch;
  const retries = options.retries ?? 3;
  const backoffMs = options.backoffMs ?? 200;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  const url = `${baseUrl.replace(/\/+$/, "")}/api/projects/${encodeURIComponent(projectId)}/secrets/resolve`;
  for (let attempt = 0; ; attempt++) {
    let response: Response;
    try {
      response = await doFetch(url, {
        method: "POST",
        headers: { Authorization: `Bearer ${runnerToken}`, "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ names }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      // Not retried: only a 503 says "try again". The cause's own message names no value.
      const reason = error instanceof Error ? error.name : "error";
      throw new SecretsError(0, "network_error", `no answer from the secrets service (${reason})`);
    }
    if (response.ok) {
      const body = (await response.json()) as { secrets?: Record<string, string> };
      if (!body || typeof body.secrets !== "object" || body.secrets === null) {
        throw new SecretsError(response.status, "bad_response", "the answer holds no secrets object");
      }
      return new RunSecrets(body.secrets);
    }
    if (response.status === 503 && attempt < retries) {
      await response.body?.cancel();
      const retryAfter = retryAfterMs(response.headers.get("retry-after"));
      const backoff = Math.random() * backoffMs * 2 ** attempt;
      await sleep(Math.min(retryAfter ?? backoff, maxDelayMs));
      continue;
    }
    throw await errorOf(response);
  }
}

async function errorOf(response: Response): Promise<SecretsError> {
  let body: { error?: unknown; message?: unknown; missing?: unknown } = {};
  try {
    body = (await response.json()) ?? {};
  } catch {
    // not JSON (a proxy's error page): the status alone says enough
  }
  const status = response.status;
  const code = typeof body.error === "string" ? body.error : `http_${status}`;
  const message = typeof body.message === "string" ? body.message : response.statusText || "error";
  switch (status) {
    case 401: return new UnauthorizedError(status, code, message);
    case 403: return new ForbiddenError(status, code, message);
    case 404: {
      const missing = Array.isArray(body.missing) ? body.missing.map(String)
        : message.startsWith(UNKNOWN_PREFIX) ? message.slice(UNKNOWN_PREFIX.length).split(", ") : null;
      return missing ? new UnknownSecretsError(status, code, message, missing) : new NotFoundError(status, code, message);
    }
    case 429: {
      const error = new RateLimitedError(status, code, message);
      const after = retryAfterMs(response.headers.get("retry-after"));
      if (after !== undefined) error.retryAfter = after / 1000;
      return error;
    }
    case 503: return new UnavailableError(status, code, message);
    default: return new SecretsError(status, code, message);
  }
}

/** Retry-After as seconds ("2") or an HTTP date, in ms from now; undefined if absent or bad. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  if (/^\s*\d+\s*$/.test(header)) return Number(header) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
