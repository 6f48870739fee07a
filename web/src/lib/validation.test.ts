import { describe, expect, it } from 'vitest';
import {
	rotationDays,
	ROTATION_MAX_DAYS,
	byteLength,
	charCount,
	descriptionProblem,
	formatBytes,
	isValidName,
	nameRules,
	valueProblem,
	VALUE_MAX_BYTES
} from './validation';

describe('names', () => {
	it('follows ^[A-Za-z_][A-Za-z0-9_]{0,127}$', () => {
		for (const ok of ['A', '_', 'STRIPE_KEY', 'a1_b2', '_'.repeat(128)]) expect(isValidName(ok)).toBe(true);
		for (const bad of ['', '1A', 'A-B', 'A B', 'Ä', 'A'.repeat(129), 'A\n']) expect(isValidName(bad)).toBe(false);
	});

	it('explains each rule', () => {
		const byText = (name: string) => Object.fromEntries(nameRules(name).map((r) => [r.text, r.ok]));
		expect(byText('1-x')).toEqual({
			'Starts with a letter or an underscore': false,
			'Only letters, digits and underscores': false,
			'At most 128 characters': true
		});
		expect(Object.values(byText('GOOD_NAME'))).toEqual([true, true, true]);
		expect(byText('A'.repeat(129))['At most 128 characters']).toBe(false);
		expect(Object.values(byText(''))).toEqual([false, false, false]);
	});
});

describe('values', () => {
	it('counts UTF-8 bytes', () => {
		expect(byteLength('abc')).toBe(3);
		expect(byteLength('é')).toBe(2);
		expect(byteLength('🔑')).toBe(4);
	});

	it('needs 1 byte to 64 KiB', () => {
		expect(valueProblem('')).toBe('Enter a value.');
		expect(valueProblem('x'.repeat(VALUE_MAX_BYTES))).toBeNull();
		expect(valueProblem('x'.repeat(VALUE_MAX_BYTES + 1))).toMatch(/limit is 64 KiB/);
		expect(valueProblem('é'.repeat(VALUE_MAX_BYTES / 2 + 1))).toMatch(/limit is 64 KiB/);
	});

	it('formats sizes', () => {
		expect(formatBytes(12)).toBe('12 B');
		expect(formatBytes(2048)).toBe('2.0 KiB');
	});
});

describe('descriptions', () => {
	it('allows 500 characters, counted as code points', () => {
		expect(charCount('🔑🔑')).toBe(2);
		expect(descriptionProblem('🔑'.repeat(500))).toBeNull();
		expect(descriptionProblem('x'.repeat(501))).toMatch(/501 characters; the limit is 500/);
	});
});

describe('rotation reminders', () => {
	it('takes whole days from 1 to the maximum, or empty for none', () => {
		expect(rotationDays('')).toEqual({ days: null, problem: null });
		expect(rotationDays('  ')).toEqual({ days: null, problem: null });
		expect(rotationDays(' 90 ')).toEqual({ days: 90, problem: null });
		expect(rotationDays('1').days).toBe(1);
		expect(rotationDays(String(ROTATION_MAX_DAYS)).days).toBe(ROTATION_MAX_DAYS);
	});

	it('refuses what the server would refuse', () => {
		for (const text of ['0', String(ROTATION_MAX_DAYS + 1), '-3', '1.5', '1e3', 'ninety', '９０', '0x10']) {
			const parsed = rotationDays(text);
			expect(parsed.days, text).toBeNull();
			expect(parsed.problem, text).not.toBeNull();
		}
	});
});
