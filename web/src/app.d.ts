// See https://svelte.dev/docs/kit/types#app.d.ts
declare global {
	namespace App {}
	interface Window {
		/** Test hook: how long a revealed value stays visible (ms). Default 30 000. */
		__MESHHOOK_SECRETS_REVEAL_MS__?: number;
		/** Test hook: audit events per page. Default 50. */
		__MESHHOOK_SECRETS_AUDIT_PAGE_SIZE__?: number;
	}

	/** Build time: PUBLIC_SUPABASE_URL and PUBLIC_SUPABASE_ANON_KEY are both set (vite.config.ts). */
	const __MESHHOOK_SUPABASE__: boolean;
}

export {};
