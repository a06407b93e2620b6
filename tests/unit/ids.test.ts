import { describe, expect, it } from 'vitest';
import { isUuid } from '$lib/ids';
import { match } from '../../src/params/uuid.ts';

describe('row ids in addresses', () => {
	it('takes a uuid in either case', () => {
		expect(isUuid('0a000000-0000-4000-8000-000000000001')).toBe(true);
		expect(match('0A000000-0000-4000-8000-00000000000F')).toBe(true);
	});

	it('refuses what Postgres would refuse in a uuid column, so the page is a 404, not a 500', () => {
		for (const value of [
			'undefined',
			'',
			'0a000000-0000-4000-8000-00000000000',
			'0a000000-0000-4000-8000-0000000000011',
			'0a000000-0000-4000-8000-000000000001\u0000',
			' 0a000000-0000-4000-8000-000000000001'
		])
			expect(match(value), JSON.stringify(value)).toBe(false);
	});
});
