import { describe, expect, it } from 'vitest';
import { fragmentWithoutToken, tokenFromFragment, decodeJwtPayload } from './auth';
import { serverAllowsDevLogin, signInHref, startSession } from './session';

const json = (status: number, body: unknown) =>
	(async () => new Response(JSON.stringify(body), { status })) as unknown as typeof fetch;

describe('dev login', () => {
	it('reads and removes the fragment token, keeping the rest', () => {
		expect(tokenFromFragment('#access_token=abc&x=1')).toBe('abc');
		expect(tokenFromFragment('#x=1')).toBeNull();
		expect(fragmentWithoutToken('#access_token=abc&x=1')).toBe('#x=1');
		expect(fragmentWithoutToken('#access_token=abc')).toBe('');
	});

	it('asks the server: only {"dev_login": true} means yes', async () => {
		expect(await serverAllowsDevLogin(json(200, { dev_login: true }))).toBe(true);
		expect(await serverAllowsDevLogin(json(200, { dev_login: 'yes' }))).toBe(false);
		expect(await serverAllowsDevLogin(json(404, { error: 'not_found' }))).toBe(false);
		const down = (async () => {
			throw new TypeError('offline');
		}) as typeof fetch;
		expect(await serverAllowsDevLogin(down)).toBe(false);
	});

	it('a fragment token counts only when dev login is allowed', async () => {
		const dev = await startSession({ fetch: json(200, { dev_login: true }) }, '#access_token=t1');
		expect(dev.kind).toBe('dev');
		expect(await dev.getToken()).toBe('t1');
		const prod = await startSession({ fetch: json(404, {}) }, '#access_token=t1');
		expect(prod.kind).toBe('none');
		expect(await prod.getToken()).toBeNull();
		const flagged = await startSession({ devLogin: true, fetch: json(404, {}) }, '#access_token=t2');
		expect(await flagged.getToken()).toBe('t2');
	});

	it('sign-out tells the subscribers', async () => {
		const session = await startSession({ devLogin: true }, '#access_token=t3');
		const seen: (string | null)[] = [];
		session.subscribe((t) => seen.push(t));
		await session.signOut();
		expect(seen).toEqual([null]);
		expect(await session.getToken()).toBeNull();
	});
});

describe('sign-in redirect and claims', () => {
	it('adds redirect_to', () => {
		expect(signInHref('https://app.example/login?x=1', 'https://s.example/projects/p/secrets')).toBe(
			'https://app.example/login?x=1&redirect_to=https%3A%2F%2Fs.example%2Fprojects%2Fp%2Fsecrets'
		);
	});

	it('decodes a JWT payload (base64url, UTF-8) without verifying it', () => {
		const bytes = new TextEncoder().encode(JSON.stringify({ sub: 'u1', email: 'zoë@example.com' }));
		const payload = btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
		expect(decodeJwtPayload(`h.${payload}.s`)).toMatchObject({ sub: 'u1', email: 'zoë@example.com' });
		expect(decodeJwtPayload('not-a-jwt')).toBeNull();
		expect(decodeJwtPayload(null)).toBeNull();
	});
});

describe('Supabase session', () => {
	function fakeSupabase() {
		let session: { access_token: string } | null = { access_token: 'at-1' };
		let listener: ((event: string, s: typeof session) => void) | null = null;
		const created: unknown[][] = [];
		const client = {
			auth: {
				getSession: async () => ({ data: { session } }),
				onAuthStateChange: (cb: typeof listener) => {
					listener = cb;
					return { data: { subscription: { unsubscribe: () => (listener = null) } } };
				},
				signOut: async () => {
					session = null;
					listener?.('SIGNED_OUT', null);
				}
			}
		};
		const refresh = (token: string) => {
			session = { access_token: token };
			listener?.('TOKEN_REFRESHED', session);
		};
		const loadSupabase = (async () => ({
			createClient: (...args: unknown[]) => (created.push(args), client)
		})) as unknown as NonNullable<Parameters<typeof startSession>[0]['loadSupabase']>;
		return { loadSupabase, refresh, created };
	}

	it('takes the access token from getSession and follows refreshes and sign-out', async () => {
		const fake = fakeSupabase();
		const config = { supabaseUrl: 'https://x.supabase.co', supabaseAnonKey: 'anon', loadSupabase: fake.loadSupabase };
		const session = await startSession(config, '');
		expect(session.kind).toBe('supabase');
		expect(fake.created[0].slice(0, 2)).toEqual(['https://x.supabase.co', 'anon']);
		expect(await session.getToken()).toBe('at-1');
		const seen: (string | null)[] = [];
		session.subscribe((t) => seen.push(t));
		fake.refresh('at-2');
		expect(await session.getToken()).toBe('at-2');
		await session.signOut();
		expect(seen).toEqual(['at-2', null]);
	});

	it('ignores a fragment token unless dev login is allowed', async () => {
		const fake = fakeSupabase();
		const config = {
			supabaseUrl: 'https://x.supabase.co',
			supabaseAnonKey: 'anon',
			loadSupabase: fake.loadSupabase,
			fetch: json(404, {})
		};
		const session = await startSession(config, '#access_token=attacker');
		expect(session.kind).toBe('supabase');
		expect(await session.getToken()).toBe('at-1');
	});
});
