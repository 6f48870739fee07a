// One action of a form at a time (create, rotate, delete, export, ...): `busy` while it
// runs (DialogActions shows it, and a second submit does nothing), then its error as a
// sentence. Every dialog and inline form uses it, with DialogActions.
import { describeError } from './api';

export class Pending {
	busy = $state(false);
	error = $state<string | null>(null);

	reset() {
		this.busy = false;
		this.error = null;
	}

	/**
	 * Runs `work` unless already busy. A throw goes to `fail` (which may set field
	 * errors or retry) or, without one, becomes `error`. Busy ends after either.
	 */
	async run(work: () => Promise<void>, fail?: (error: unknown) => Promise<void> | void) {
		if (this.busy) return;
		this.busy = true;
		this.error = null;
		try {
			await work();
		} catch (error) {
			if (fail) await fail(error);
			else this.error = describeError(error);
		} finally {
			this.busy = false;
		}
	}
}
