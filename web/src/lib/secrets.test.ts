import { describe, expect, it } from 'vitest';
import type { Secret } from './api';
import { filterSecrets, reference, rotationDue, rotationState, sortSecrets, upsert } from './secrets';

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

describe('rotation', () => {
	const now = Date.parse('2026-12-02T12:00:00Z');
	const at = (due: string | null, overdue = false) => ({ ...s('X', '2026-12-01T00:00:00Z', null), rotation_due_at: due, rotation_overdue: overdue });

	it('is overdue per the server or past the due time, due within a week, else nothing', () => {
		expect(rotationState(at(null), now)).toBeNull();
		expect(rotationState(at('2026-12-30T00:00:00Z'), now)).toBeNull();
		expect(rotationState(at('2026-12-08T00:00:00Z'), now)).toBe('due');
		expect(rotationState(at('2026-12-02T11:59:00Z'), now)).toBe('overdue');
		expect(rotationState(at('2026-12-30T00:00:00Z', true), now)).toBe('overdue');
	});

	it('the filter keeps due and overdue ones', () => {
		const list = [at(null), at('2026-12-30T00:00:00Z'), at('2026-12-03T00:00:00Z'), at('2026-11-01T00:00:00Z')];
		expect(rotationDue(list, now)).toEqual([list[2], list[3]]);
	});
});
