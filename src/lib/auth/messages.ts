/** What we need from an auth-js error to explain it. */
export interface AuthErrorLike {
	code?: string;
	status?: number;
	name?: string;
	message?: string;
}

/** Explains a failed sign-in or sign-up in a sentence a person can act on. */
export function authErrorSentence(
	error: AuthErrorLike,
	attempt: 'sign-in' | 'sign-up' = 'sign-in'
): string {
	switch (error.code) {
		case 'invalid_credentials':
			return "That email and password don't match an account. Check them and try again.";
		case 'user_already_exists':
		case 'email_exists':
			return 'An account with this email already exists. Sign in instead.';
		case 'weak_password':
			return 'That password is too easy to guess. Choose a longer one with a mix of characters.';
		case 'email_not_confirmed':
			return 'Confirm your email address first: open the link we sent you, then sign in.';
		case 'signup_disabled':
			return 'New sign-ups are turned off for this workspace. Ask an admin for an invitation.';
		case 'user_banned':
			return 'This account has been suspended. Contact your workspace owner.';
		case 'over_request_rate_limit':
			return `Too many ${attempt} attempts. Wait a few minutes and try again.`;
		case 'over_email_send_rate_limit':
			return 'Too many attempts in a short time. Wait a minute, then try again.';
		case 'email_address_invalid':
			return 'That email address cannot be used. Try another one.';
	}
	// auth-js reports an unreachable server as a retryable fetch error with status 0.
	if (error.name === 'AuthRetryableFetchError' || error.status === 0) {
		return "We couldn't reach the sign-in service. Check your connection and try again.";
	}
	return 'Something went wrong on our side. Try again in a moment.';
}
