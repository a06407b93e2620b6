import { describe, expect, it } from 'vitest';
import { parseForm, signInSchema, signUpSchema } from '$lib/auth/forms';

function formOf(fields: Record<string, string>): FormData {
	const formData = new FormData();
	for (const [name, value] of Object.entries(fields)) formData.set(name, value);
	return formData;
}

describe('sign-up form', () => {
	it('accepts a name, an email and an 8-character password, trimming and lower-casing the email', () => {
		const result = parseForm(
			signUpSchema,
			formOf({ displayName: '  Ada Lovelace ', email: ' Ada@Example.COM ', password: '12345678' })
		);
		expect(result).toEqual({
			ok: true,
			data: { displayName: 'Ada Lovelace', email: 'ada@example.com', password: '12345678' }
		});
	});

	it('gives one sentence per wrong field: invalid email, short password, missing name', () => {
		const result = parseForm(
			signUpSchema,
			formOf({ displayName: '   ', email: 'not-an-email', password: 'short' })
		);
		expect(result).toEqual({
			ok: false,
			errors: {
				displayName: 'Enter your name as teammates should see it.',
				email: 'Enter a valid email address, like name@company.com.',
				password: 'Use at least 8 characters for your password.'
			}
		});
	});

	it('treats missing fields as empty rather than crashing', () => {
		const result = parseForm(signUpSchema, new FormData());
		expect(result.ok).toBe(false);
		expect(result.ok ? [] : Object.keys(result.errors).sort()).toEqual([
			'displayName',
			'email',
			'password'
		]);
	});
});

describe('sign-in form', () => {
	it('asks for the password when it is empty, without judging its length', () => {
		expect(parseForm(signInSchema, formOf({ email: 'a@b.co', password: '' }))).toEqual({
			ok: false,
			errors: { password: 'Enter your password.' }
		});
		expect(parseForm(signInSchema, formOf({ email: 'a@b.co', password: 'x' })).ok).toBe(true);
	});
});
