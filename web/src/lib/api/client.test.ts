import { describe, expect, it, vi } from 'vitest';
import { ApiError, createApi, describeError, describeNameConflict, sentence } from './client';

type Call = { url: string; init: RequestInit };

function fakeFetch(status: number, body?: unknown) {
	const calls: Call[] = [];
	const impl = async (url: RequestInfo | URL, init?: RequestInit) => {
		calls.push({ url: String(url), init: init ?? {} });
		return new Response(body === undefined ? null : JSON.stringify(body), {
			status,
			headers: { 'Content-Type': 'application/json' }
		});
	};
	return { calls, fetch: impl as typeof fetch };
}

const header = (call: Call, name: string) => new Headers(call.init.headers).get(name);

describe('createApi', () => {
	it('sends the bearer token, no cookies, no cache', async () => {
		const f = fakeFetch(200, { secrets: [] });
		const api = createApi({ getToken: () => 'tok', fetch: f.fetch });
		await api.listSecrets('p1');
		expect(f.calls[0].url).toBe('/api/projects/p1/secrets');
		expect(header(f.calls[0], 'Authorization')).toBe('Bearer tok');
		expect(f.calls[0].init.credentials).toBe('omit');
		expect(f.calls[0].init.cache).toBe('no-store');
	});

	it('reads the token and the base URL for every request', async () => {
		const f = fakeFetch(200, { secrets: [] });
		let token = 'one';
		const options = { baseUrl: 'https://a.example/', getToken: async () => token, fetch: f.fetch };
		const api = createApi(options);
		await api.listSecrets('p');
		token = 'two';
		options.baseUrl = 'https://b.example';
		await api.listSecrets('p');
		expect(header(f.calls[1], 'Authorization')).toBe('Bearer two');
		expect(f.calls[0].url).toBe('https://a.example/api/projects/p/secrets');
		expect(f.calls[1].url).toBe('https://b.example/api/projects/p/secrets');
	});

	it('omits Authorization without a token', async () => {
		const f = fakeFetch(200, { project: { id: 'p', name: 'n', role: 'viewer' } });
		await createApi({ getToken: () => null, fetch: f.fetch }).getProject('p');
		expect(header(f.calls[0], 'Authorization')).toBeNull();
	});

	it('escapes path segments', async () => {
		const f = fakeFetch(200, { secret: {} });
		await createApi({ getToken: () => 't', fetch: f.fetch }).updateSecret('p/../x', 's?1', { description: 'd' });
		expect(f.calls[0].url).toBe('/api/projects/p%2F..%2Fx/secrets/s%3F1');
	});

	it('a rotation sends the value with If-Match', async () => {
		const f = fakeFetch(200, { secret: { version: 3 } });
		const api = createApi({ getToken: () => 't', fetch: f.fetch });
		const secret = await api.updateSecret('p', 's', { value: 'sk_test_fake_1' }, 2);
		expect(secret.version).toBe(3);
		expect(f.calls[0].init.method).toBe('PUT');
		expect(header(f.calls[0], 'If-Match')).toBe('2');
		expect(JSON.parse(String(f.calls[0].init.body))).toEqual({ value: 'sk_test_fake_1' });
	});

	it('a description edit sends only the description, without If-Match', async () => {
		const f = fakeFetch(200, { secret: {} });
		await createApi({ getToken: () => 't', fetch: f.fetch }).updateSecret('p', 's', { description: 'new' });
		expect(JSON.parse(String(f.calls[0].init.body))).toEqual({ description: 'new' });
		expect(header(f.calls[0], 'If-Match')).toBeNull();
	});

	it('204 resolves to undefined', async () => {
		const f = fakeFetch(204);
		await expect(createApi({ getToken: () => 't', fetch: f.fetch }).deleteSecret('p', 's')).resolves.toBeUndefined();
		expect(f.calls[0].init.method).toBe('DELETE');
	});

	it('builds the audit query from the set filters only', async () => {
		const f = fakeFetch(200, { events: [], next_cursor: null });
		const api = createApi({ getToken: () => 't', fetch: f.fetch });
		await api.listAudit('p', { action: 'reveal', actor: '', secret_id: undefined, limit: 2, cursor: 'c 1' });
		expect(f.calls[0].url).toBe('/api/projects/p/secrets/audit?action=reveal&limit=2&cursor=c+1');
	});

	it('turns an error body into an ApiError and calls onUnauthorized on 401', async () => {
		const onUnauthorized = vi.fn();
		const f = fakeFetch(401, { error: 'unauthorized', message: 'token expired' });
		const api = createApi({ getToken: () => 't', fetch: f.fetch, onUnauthorized });
		const error = await api.listSecrets('p').catch((e) => e);
		expect(error).toBeInstanceOf(ApiError);
		expect(error).toMatchObject({ status: 401, code: 'unauthorized', message: 'token expired' });
		expect(onUnauthorized).toHaveBeenCalledOnce();
	});

	it('copes with a body that is not JSON', async () => {
		const impl = (async () => new Response('<html>bad gateway</html>', { status: 502 })) as typeof fetch;
		const error = await createApi({ getToken: () => 't', fetch: impl }).listSecrets('p').catch((e) => e);
		expect(error).toMatchObject({ status: 502, code: 'http_502' });
	});

	it('a network failure is status 0 with a sentence', async () => {
		const impl = (async () => {
			throw new TypeError('Failed to fetch');
		}) as typeof fetch;
		const error = await createApi({ getToken: () => 't', fetch: impl }).listSecrets('p').catch((e) => e);
		expect(error).toMatchObject({ status: 0, code: 'network' });
		expect(describeError(error)).toMatch(/^Could not reach the server/);
	});
});

describe('messages', () => {
	it('sentence() capitalises and ends with a full stop', () => {
		expect(sentence('a secret named X already exists')).toBe('A secret named X already exists.');
		expect(sentence('Done!')).toBe('Done!');
		expect(sentence('')).toBe('');
	});

	it('describeError gives a sentence for every status', () => {
		const cases: [number, RegExp][] = [
			[401, /session has expired/],
			[403, /permission/],
			[412, /Someone else changed/],
			[429, /Too many requests/],
			[500, /server had a problem/]
		];
		for (const [status, text] of cases) expect(describeError(new ApiError(status, 'x', 'detail'))).toMatch(text);
		expect(describeError(new ApiError(404, 'not_found', ''), 'project')).toBe('Project not found.');
		expect(describeError(new ApiError(422, 'validation_error', 'name is invalid'))).toBe('Name is invalid.');
		expect(describeError(new Error('boom'))).toBe('Something went wrong. Try again.');
	});

	it('a 500 never shows its detail', () => {
		expect(describeError(new ApiError(500, 'internal', 'Traceback (most recent call last)'))).not.toMatch(/Traceback/);
	});

	it('describeNameConflict names the existing secret, found ignoring case', () => {
		const existing = [{ name: 'STRIPE_KEY' }, { name: 'OTHER' }];
		expect(describeNameConflict('stripe_key', existing)).toBe(
			'A secret named STRIPE_KEY already exists in this project (names are unique ignoring case).'
		);
		expect(describeNameConflict('OTHER', existing)).toBe('A secret named OTHER already exists in this project.');
		expect(describeNameConflict('GONE', [])).toBe('A secret named GONE already exists in this project.');
	});
});

describe('versions, rollback, copy, import, export', () => {
	const api = (f: ReturnType<typeof fakeFetch>) => createApi({ getToken: () => 't', fetch: f.fetch });
	const body = (call: Call) => (call.init.body ? JSON.parse(String(call.init.body)) : undefined);

	it('a plain reveal sends no body; a copy or an old version says so', async () => {
		const f = fakeFetch(200, { value: 'sk_test_fake_v' });
		expect(await api(f).revealSecret('p', 's')).toBe('sk_test_fake_v');
		await api(f).revealSecret('p', 's', { purpose: 'copy' });
		await api(f).revealSecret('p', 's', { version: 2 });
		expect(f.calls.map(body)).toEqual([undefined, { purpose: 'copy' }, { version: 2 }]);
		expect(f.calls[1].url).toBe('/api/projects/p/secrets/s/reveal');
	});

	it('lists versions and rolls back with If-Match', async () => {
		const v = fakeFetch(200, { versions: [{ version: 2, current: true }] });
		expect(await api(v).listVersions('p', 's')).toEqual([{ version: 2, current: true }]);
		expect(v.calls[0].url).toBe('/api/projects/p/secrets/s/versions');
		const r = fakeFetch(200, { secret: { version: 3 } });
		expect((await api(r).rollbackSecret('p', 's', 1, 2)).version).toBe(3);
		expect(r.calls[0].url).toBe('/api/projects/p/secrets/s/rollback');
		expect(body(r.calls[0])).toEqual({ version: 1 });
		expect(header(r.calls[0], 'If-Match')).toBe('2');
	});

	it('imports with the conflict mode', async () => {
		const f = fakeFetch(200, { created: ['A'], updated: [], skipped: [] });
		const input = { format: 'dotenv' as const, content: 'A=sk_test_fake', on_conflict: 'skip' as const, dry_run: false };
		expect(await api(f).importSecrets('p', input)).toEqual({ created: ['A'], updated: [], skipped: [] });
		expect(f.calls[0].url).toBe('/api/projects/p/secrets/import');
		expect(body(f.calls[0])).toEqual(input);
	});

	it('exports as text, whatever the content type', async () => {
		const text = "A='sk_test_fake'\n";
		const f = {
			calls: [] as Call[],
			fetch: (async (url: RequestInfo | URL, init?: RequestInit) => {
				f.calls.push({ url: String(url), init: init ?? {} });
				return new Response(text, { status: 200, headers: { 'Content-Type': 'text/plain' } });
			}) as typeof fetch
		};
		expect(await createApi({ getToken: () => 't', fetch: f.fetch }).exportSecrets('p', 'dotenv')).toBe(text);
		expect(JSON.parse(String(f.calls[0].init.body))).toEqual({ format: 'dotenv' });
	});

	it('an export error is still an ApiError', async () => {
		const f = fakeFetch(429, { error: 'rate_limited', message: 'too many reveals' });
		await expect(api(f).exportSecrets('p', 'json')).rejects.toMatchObject({ status: 429, code: 'rate_limited' });
	});
});
