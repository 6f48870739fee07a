// Where the access token comes from, for the standalone app (routes/):
//
// - Supabase (PUBLIC_SUPABASE_URL and PUBLIC_SUPABASE_ANON_KEY set at build time): the
//   signed-in user's Supabase session; supabase-js refreshes it, and without one we
//   send the user to MeshHook's sign-in page (PUBLIC_MESHHOOK_SIGNIN_URL).
// - Dev login: the `#access_token=` link that `meshhook-secrets dev` prints, accepted only
//   when the build says so (PUBLIC_DEV_LOGIN=1) or the server does (`GET /api/dev-config`
//   answers `{"dev_login": true}`; anything else, a 404 included, means no).
//
// The route removes a token in the fragment from the address bar, accepted or not.
import { clearToken, loadToken, storeToken, tokenFromFragment } from './auth';

export interface AuthConfig {
	supabaseUrl?: string;
	supabaseAnonKey?: string;
	signInUrl?: string;
	/** Build-time PUBLIC_DEV_LOGIN. */
	devLogin?: boolean;
	/**
	 * `() => import('@supabase/supabase-js')`, passed only by Supabase builds, so that
	 * other builds do not carry the library at all.
	 */
	loadSupabase?: () => Promise<typeof import('@supabase/supabase-js')>;
	fetch?: typeof fetch;
}

export interface Session {
	kind: 'supabase' | 'dev' | 'none';
	/** Called before every request: a refreshed token when the session was refreshed. */
	getToken: () => Promise<string | null>;
	/** Called with the new token whenever it changes (refresh, sign-in, sign-out). */
	subscribe: (listener: (token: string | null) => void) => () => void;
	signOut: () => Promise<void>;
	/** Where to send someone who is not signed in, if anywhere. */
	signInUrl: string | null;
}

/** True when the server says this is `meshhook-secrets dev`. */
export async function serverAllowsDevLogin(doFetch: typeof fetch = fetch): Promise<boolean> {
	try {
		const response = await doFetch('/api/dev-config', { cache: 'no-store', credentials: 'omit' });
		if (!response.ok) return false;
		const body = (await response.json()) as { dev_login?: unknown };
		return body?.dev_login === true;
	} catch {
		return false;
	}
}

/** `signInUrl` with `redirect_to` set to where the user was. */
export function signInHref(signInUrl: string, here: string): string {
	const url = new URL(signInUrl, here);
	url.searchParams.set('redirect_to', here);
	return url.toString();
}

function staticSession(kind: Session['kind'], token: string | null, signInUrl: string | null): Session {
	let current = token;
	const listeners = new Set<(token: string | null) => void>();
	return {
		kind,
		signInUrl,
		getToken: async () => current,
		subscribe: (listener) => {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
		signOut: async () => {
			clearToken();
			current = null;
			listeners.forEach((l) => l(null));
		}
	};
}

async function supabaseSession(config: AuthConfig): Promise<Session> {
	const { createClient } = await config.loadSupabase!();
	const client = createClient(config.supabaseUrl!, config.supabaseAnonKey!, {
		auth: { persistSession: true, autoRefreshToken: true, detectSessionInUrl: true }
	});
	return {
		kind: 'supabase',
		signInUrl: config.signInUrl || null,
		getToken: async () => (await client.auth.getSession()).data.session?.access_token ?? null,
		subscribe: (listener) => {
			const { data } = client.auth.onAuthStateChange((_event, session) => listener(session?.access_token ?? null));
			return () => data.subscription.unsubscribe();
		},
		signOut: async () => {
			await client.auth.signOut();
		}
	};
}

/** Picks the session source for this page load (see the top of this file). */
export async function startSession(config: AuthConfig, hash: string): Promise<Session> {
	const fromUrl = tokenFromFragment(hash);
	const stored = fromUrl ?? loadToken();
	const devAllowed = stored !== null && (config.devLogin || (await serverAllowsDevLogin(config.fetch)));
	if (devAllowed && stored) {
		if (fromUrl) storeToken(fromUrl);
		return staticSession('dev', stored, null);
	}
	if (stored !== null) clearToken(); // a dev token on a page that is not dev
	if (config.supabaseUrl && config.supabaseAnonKey && config.loadSupabase) return supabaseSession(config);
	return staticSession('none', null, config.signInUrl || null);
}
