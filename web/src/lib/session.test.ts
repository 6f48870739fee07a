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
