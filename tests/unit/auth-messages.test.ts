import { describe, expect, it } from 'vitest';
import { authErrorSentence } from '$lib/auth/messages';
import { displayNameOf, initialsOf } from '$lib/auth/user';

describe('authErrorSentence', () => {
	it('explains wrong credentials without saying which part was wrong', () => {
		expect(authErrorSentence({ code: 'invalid_credentials', status: 400 })).toBe(
			"That email and password don't match an account. Check them and try again."
		);
	});

	it('points an existing account to sign in', () => {
		expect(authErrorSentence({ code: 'user_already_exists', status: 422 })).toMatch(
			/already exists\. Sign in/
		);
	});

	it('says the service is unreachable when the request never got an answer', () => {
		expect(authErrorSentence({ name: 'AuthRetryableFetchError', status: 0 })).toMatch(
			/couldn't reach/
		);
	});

	it('falls back to a sentence, never to the raw server message', () => {
		const sentence = authErrorSentence({
			code: 'unexpected_failure',
			status: 500,
			message: 'pq: relation missing'
		});
		expect(sentence).not.toContain('pq:');
		expect(sentence).toMatch(/^[A-Z].*\.$/);
	});
});

describe('display names', () => {
	it('uses the display name given at sign-up, else the email before the @', () => {
		expect(
			displayNameOf({ email: 'ada@example.com', user_metadata: { display_name: ' Ada ' } })
		).toBe('Ada');
		expect(displayNameOf({ email: 'ada@example.com', user_metadata: {} })).toBe('ada');
	});

	it('makes initials from the first and last word', () => {
		expect(initialsOf('Ada King Lovelace')).toBe('AL');
		expect(initialsOf('ada')).toBe('AD');
	});
});
