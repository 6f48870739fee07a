import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';
import { loadEnv } from 'vite';

// A Supabase build talks to Supabase Auth too (PUBLIC_SUPABASE_URL, see .env).
const { PUBLIC_SUPABASE_URL } = loadEnv('production', '.', 'PUBLIC_');
const supabaseOrigin = PUBLIC_SUPABASE_URL ? [new URL(PUBLIC_SUPABASE_URL).origin] : [];

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		// A single-page app: every route is rendered in the browser. The Python dev
		// server serves `build/` and answers unknown paths with `build/index.html`.
		adapter: adapter({
			pages: 'build',
			assets: 'build',
			fallback: 'index.html',
			strict: true
		}),
		// A Content-Security-Policy <meta> with hashes for SvelteKit's inline bootstrap:
		// only this origin's scripts run, and the page talks only to its own origin.
		csp: {
			mode: 'hash',
			directives: {
				'default-src': ['self'],
				'script-src': ['self'],
				'style-src': ['self', 'unsafe-inline'],
				'img-src': ['self', 'data:'],
				'connect-src': ['self', ...supabaseOrigin],
				'object-src': ['none'],
				'base-uri': ['self'],
				'form-action': ['self']
			}
		}
	}
};

export default config;
