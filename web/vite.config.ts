import { sveltekit } from '@sveltejs/kit/vite';
import { loadEnv } from 'vite';
import { defineConfig } from 'vitest/config';

// Node's global, typed here so the project needs no @types/node.
declare const process: { env: Record<string, string | undefined> };

export default defineConfig(({ mode }) => {
	const env = loadEnv(mode, '.', 'PUBLIC_');
	return {
		plugins: [sveltekit()],
		define: {
			// Replaced in the source before bundling, so a build without Supabase does not
			// even emit the supabase-js chunk (see src/routes/.../+page.svelte).
			__MESHHOOK_SUPABASE__: JSON.stringify(Boolean(env.PUBLIC_SUPABASE_URL && env.PUBLIC_SUPABASE_ANON_KEY))
		},
		server: {
			// `npm run dev` proxies the API to a running `meshhook-secrets dev`/`serve`.
			proxy: {
				'/api': process.env.MESHHOOK_SECRETS_API ?? 'http://127.0.0.1:8787'
			}
		},
		test: {
			// Unit tests of the plain TypeScript modules (api client, validation, helpers).
			include: ['src/**/*.test.ts'],
			environment: 'node'
		}
	};
});
