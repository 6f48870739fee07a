// Notices for the whole page, shown as toasts in a fixed live region (Toasts.svelte):
// they never push content around. Successes leave after `SUCCESS_MS` unless the
// pointer or focus is on them; errors stay until dismissed.

export type ToastKind = 'success' | 'error';

export interface Toast {
	id: number;
	kind: ToastKind;
	text: string;
}

export const SUCCESS_MS = 10_000;

export function createToasts(successMs = SUCCESS_MS) {
	let items = $state<Toast[]>([]);
	const timers = new Map<number, ReturnType<typeof setTimeout>>();
	let nextId = 1;

	function dismiss(id: number) {
		clearTimeout(timers.get(id));
		timers.delete(id);
		items = items.filter((t) => t.id !== id);
	}

	function schedule(id: number) {
		clearTimeout(timers.get(id));
		timers.set(id, setTimeout(() => dismiss(id), successMs));
	}

	function push(kind: ToastKind, text: string) {
		const id = nextId++;
		items = [...items.slice(-4), { id, kind, text }]; // at most five at once
		if (kind === 'success') schedule(id);
		return id;
	}

	return {
		get items() {
			return items;
		},
		success: (text: string) => push('success', text),
		error: (text: string) => push('error', text),
		dismiss,
		/** While the user points at or focuses a toast, it stays. */
		hold: (id: number) => {
			clearTimeout(timers.get(id));
			timers.delete(id);
		},
		release: (id: number) => {
			if (items.some((t) => t.id === id && t.kind === 'success')) schedule(id);
		}
	};
}

export type Toasts = ReturnType<typeof createToasts>;

// Components deep in the page (a row's Copy, a reveal) report through the page's toasts.
import { getContext, setContext } from 'svelte';

const KEY = Symbol('meshhook-secrets.toasts');

export const provideToasts = (toasts: Toasts) => setContext(KEY, toasts);

/** The page's toasts; outside a SecretsPage, a stand-in that only keeps them. */
export const useToasts = (): Toasts => getContext<Toasts | undefined>(KEY) ?? createToasts();
