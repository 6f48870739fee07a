import { describe, expect, it } from 'vitest';
import type { Secret } from './api';
import { filterSecrets, reference, sortSecrets, upsert } from './secrets';

function s(name: string, updated: string, used: string | null, description: string | null = null): Secret {
	return {
		id: name,
		project_id: 'p',
		name,
		description,
		version: 1,
		created_at: updated,
		updated_at: updated,
		last_used_at: used,
		rotation_period_days: null,
		rotation_due_at: null,
		rotation_overdue: false
	};
}

const list = [
	s('B', '2026-01-02T00:00:00Z', null, 'billing'),
	s('A', '2026-01-01T00:00:00Z', '2026-01-05T00:00:00Z'),
	s('C', '2026-01-03T00:00:00Z', '2026-01-04T00:00:00Z')
];
const names = (xs: Secret[]) => xs.map((x) => x.name);

describe('secrets list', () => {
	it('sorts by name, by newest update, by most recent use (never used last)', () => {
		expect(names(sortSecrets(list, 'name'))).toEqual(['A', 'B', 'C']);
		expect(names(sortSecrets(list, 'updated'))).toEqual(['C', 'B', 'A']);
		expect(names(sortSecrets(list, 'last_used'))).toEqual(['A', 'C', 'B']);
	});

	it('filters by name or description, ignoring case', () => {
		expect(names(filterSecrets(list, 'BILL'))).toEqual(['B']);
		expect(names(filterSecrets(list, ' c '))).toEqual(['C']);
		expect(filterSecrets(list, '')).toHaveLength(3);
	});

	it('upsert replaces by id and keeps name order', () => {
		const next = upsert(list, { ...list[0], version: 2 });
		expect(names(next)).toEqual(['A', 'B', 'C']);
		expect(next[1].version).toBe(2);
	});

	it('the workflow reference', () => {
		expect(reference('STRIPE_KEY')).toBe('{{secrets.STRIPE_KEY}}');
	});
});
