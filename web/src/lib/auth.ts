// Dev login: `meshhook-secrets dev` prints a URL that carries an access token in
// the fragment (`#access_token=...`). The fragment never reaches a server; we keep
// the token in sessionStorage (this tab only) and take it out of the address bar.
// Inside MeshHook the host app passes its Supabase session token instead.

export const TOKEN_KEY = 'meshhook-secrets.access_token';

/** Reads `access_token` from a URL fragment, or null. */
export function tokenFromFragment(hash: string): string | null {
	const params = new URLSearchParams(hash.replace(/^#/, ''));
	return params.get('access_token');
}

/** The fragment without `access_token` (other parameters are kept). */
export function fragmentWithoutToken(hash: string): string {
	const params = new URLSearchParams(hash.replace(/^#/, ''));
	params.delete('access_token');
	const rest = params.toString();
	return rest ? `#${rest}` : '';
}

export function storeToken(token: string): void {
	try {
		sessionStorage.setItem(TOKEN_KEY, token);
	} catch {
		// Storage can be disabled; the token then lives for this page only.
	}
}

export function loadToken(): string | null {
	try {
		return sessionStorage.getItem(TOKEN_KEY);
	} catch {
		return null;
	}
}

export function clearToken(): void {
	try {
		sessionStorage.removeItem(TOKEN_KEY);
	} catch {
		// ignore
	}
}

export interface JwtClaims {
	sub?: string;
	email?: string;
	exp?: number;
	role?: string;
	[key: string]: unknown;
}

/**
 * Decodes a JWT's payload WITHOUT verifying it. Only for display (who am I);
 * the server verifies every request and decides what the caller may do.
 */
export function decodeJwtPayload(token: string | null | undefined): JwtClaims | null {
	if (!token) return null;
	const part = token.split('.')[1];
	if (!part) return null;
	try {
		const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
		const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
		const claims = JSON.parse(new TextDecoder().decode(bytes));
		return claims && typeof claims === 'object' ? (claims as JwtClaims) : null;
	} catch {
		return null;
	}
}
