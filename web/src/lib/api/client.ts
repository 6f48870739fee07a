// A small client for the meshhook-secrets HTTP API (docs/api.md).
//
// It never logs, caches or stores request bodies or responses: secret values
// pass through it only as function arguments and return values.

import type {
	AuditPage,
	AuditQuery,
	ExportFormat,
	ImportInput,
	ImportOutcome,
	Project,
	RevealOptions,
	Secret,
	SecretInput,
	SecretUpdate,
	Version
} from './types';

/** An error answered by the API (`{"error", "message"}`), or a network failure (status 0). */
export class ApiError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string
	) {
		super(message);
		this.name = 'ApiError';
	}
}

export type TokenGetter = () => string | null | undefined | Promise<string | null | undefined>;

export interface ApiOptions {
	/** Where the API lives; '' (the default) means the page's own origin. */
	baseUrl?: string;
	/** Returns the caller's access token (a Supabase session token). */
	getToken: TokenGetter;
	/** Called on every 401, e.g. to show "session expired". */
	onUnauthorized?: () => void;
	fetch?: typeof fetch;
}

export type SecretsApi = ReturnType<typeof createApi>;

export function createApi(options: ApiOptions) {
	const base = () => (options.baseUrl ?? '').replace(/\/+$/, ''); // read per request: it may change
	const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));

	async function request<T>(
		method: string,
		path: string,
		body?: unknown,
		headers: Record<string, string> = {},
		as: 'json' | 'text' = 'json'
	): Promise<T> {
		const token = await options.getToken();
		const init: RequestInit = {
			method,
			headers: {
				Accept: 'application/json',
				...(token ? { Authorization: `Bearer ${token}` } : {}),
				...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
				...headers
			},
			body: body !== undefined ? JSON.stringify(body) : undefined,
			cache: 'no-store',
			credentials: 'omit'
		};
		let response: Response;
		try {
			response = await doFetch(base() + path, init);
		} catch {
			throw new ApiError(0, 'network', 'Could not reach the server. Check your connection and try again.');
		}
		if (response.status === 204) return undefined as T;
		if (response.ok && as === 'text') return (await response.text()) as T;
		let payload: unknown = null;
		try {
			payload = await response.json();
		} catch {
			payload = null;
		}
		if (!response.ok) {
			if (response.status === 401) options.onUnauthorized?.();
			const p = (payload ?? {}) as { error?: unknown; message?: unknown };
			throw new ApiError(
				response.status,
				typeof p.error === 'string' ? p.error : `http_${response.status}`,
				typeof p.message === 'string' ? p.message : ''
			);
		}
		return payload as T;
	}

	const p = (projectId: string) => `/api/projects/${encodeURIComponent(projectId)}`;
	const s = (projectId: string, secretId: string) =>
		`${p(projectId)}/secrets/${encodeURIComponent(secretId)}`;

	return {
		getProject: async (projectId: string) =>
			(await request<{ project: Project }>('GET', p(projectId))).project,

		listSecrets: async (projectId: string) =>
			(await request<{ secrets: Secret[] }>('GET', `${p(projectId)}/secrets`)).secrets,

		createSecret: async (projectId: string, input: SecretInput) => (await request<{ secret: Secret }>('POST', `${p(projectId)}/secrets`, input)).secret,

		/** A new `value` is a rotation. `ifMatch` is the version the caller last saw. */
		updateSecret: async (
			projectId: string,
			secretId: string,
			input: SecretUpdate,
			ifMatch?: number
		) =>
			(
				await request<{ secret: Secret }>(
					'PUT',
					s(projectId, secretId),
					input,
					ifMatch !== undefined ? { 'If-Match': String(ifMatch) } : {}
				)
			).secret,

		deleteSecret: (projectId: string, secretId: string) =>
			request<void>('DELETE', s(projectId, secretId)),

		/** The current value, or a kept `version`'s; `purpose: 'copy'` is audited as a copy. */
		revealSecret: async (projectId: string, secretId: string, options: RevealOptions = {}) => {
			const body = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined && v !== null));
			const path = `${s(projectId, secretId)}/reveal`;
			return (await request<{ value: string }>('POST', path, Object.keys(body).length ? body : undefined)).value;
		},

		/** The kept versions, newest first (metadata only). */
		listVersions: async (projectId: string, secretId: string) =>
			(await request<{ versions: Version[] }>('GET', `${s(projectId, secretId)}/versions`)).versions,

		/** A new version holding `version`'s value; `ifMatch` is the version the caller last saw. */
		rollbackSecret: async (projectId: string, secretId: string, version: number, ifMatch: number) =>
			(
				await request<{ secret: Secret }>('POST', `${s(projectId, secretId)}/rollback`, { version }, {
					'If-Match': String(ifMatch)
				})
			).secret,

		importSecrets: (projectId: string, input: ImportInput) =>
			request<ImportOutcome>('POST', `${p(projectId)}/secrets/import`, input),

		/** The current values as the file's text (.env lines or a JSON object), for a download. */
		exportSecrets: (projectId: string, format: ExportFormat) =>
			request<string>('POST', `${p(projectId)}/secrets/export`, { format }, { Accept: '*/*' }, 'text'),

		listAudit: (projectId: string, query: AuditQuery = {}) => {
			const params = new URLSearchParams();
			for (const [key, value] of Object.entries(query) as [string, unknown][]) {
				if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
			}
			const qs = params.toString();
			return request<AuditPage>('GET', `${p(projectId)}/secrets/audit${qs ? `?${qs}` : ''}`);
		}
	};
}

/** `text` as a sentence: capital first letter, final full stop. */
export function sentence(text: string): string {
	const t = text.trim();
	if (!t) return t;
	const capital = t[0].toUpperCase() + t.slice(1);
	return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** A sentence for a person, for any error the client can throw. */
export function describeError(error: unknown, what: 'project' | 'secret' = 'secret'): string {
	if (!(error instanceof ApiError)) return 'Something went wrong. Try again.';
	const detail = error.message ? sentence(error.message) : '';
	switch (error.status) {
		case 0:
			return error.message;
		case 401:
			return 'Your session has expired. Sign in again.';
		case 403:
			return "You don't have permission to do that in this project.";
		case 404:
			return what === 'project' ? 'Project not found.' : detail || 'Not found. It may have been deleted.';
		case 409:
			return detail || 'A secret with this name already exists.';
		case 412:
			return 'Someone else changed this secret since you loaded it. Check the new version and try again.';
		case 413:
			return detail || 'That is too large for the server to accept.';
		case 422:
		case 400:
			return detail || 'The server rejected that input.';
		case 429:
			return 'Too many requests. Wait a moment and try again.';
		default:
			return error.status >= 500
				? 'The server had a problem. Try again in a moment.'
				: detail || `Request failed (${error.status}).`;
	}
}

/**
 * The 409 for a new secret, naming the secret that exists: names are unique ignoring
 * case, so `stripe_key` conflicts with an existing `STRIPE_KEY`.
 */
export function describeNameConflict(typed: string, existing: readonly { name: string }[]): string {
	const wanted = typed.toLowerCase();
	const match = existing.find((s) => s.name.toLowerCase() === wanted);
	const name = match?.name ?? typed;
	const hint = match && match.name !== typed ? ' (names are unique ignoring case)' : '';
	return `A secret named ${name} already exists in this project${hint}.`;
}
