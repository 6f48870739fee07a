import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { Pending } from './pending.svelte';

describe('Pending', () => {
	it('is busy while the work runs and ignores a second run meanwhile', async () => {
		const pending = new Pending();
		let release!: () => void;
		let runs = 0;
		const first = pending.run(() => {
			runs++;
			return new Promise<void>((resolve) => (release = resolve));
		});
		expect(pending.busy).toBe(true);
		await pending.run(async () => void runs++);
		expect(runs).toBe(1);
		release();
		await first;
		expect(pending.busy).toBe(false);
		expect(pending.error).toBeNull();
	});

	it('turns a failure into a sentence, and clears it on the next run', async () => {
		const pending = new Pending();
		await pending.run(async () => {
			throw new ApiError(409, 'conflict', 'fake-conflict');
		});
		expect(pending.busy).toBe(false);
		expect(pending.error).toMatch(/\w/);
		await pending.run(async () => {});
		expect(pending.error).toBeNull();
	});

	it('hands the failure to `fail` instead, still busy until it returns', async () => {
		const pending = new Pending();
		const seen: unknown[] = [];
		const boom = new Error('fake-failure');
		await pending.run(
			async () => {
				throw boom;
			},
			async (error) => {
				seen.push(error, pending.busy);
			}
		);
		expect(seen).toEqual([boom, true]);
		expect(pending.error).toBeNull();
		expect(pending.busy).toBe(false);
	});
});
