/** The parts of a Supabase user the app shows. */
export interface UserLike {
	email?: string;
	user_metadata?: Record<string, unknown>;
}

/** The name people see for a user: the display name given at sign-up, else the email's local part. */
export function displayNameOf(user: UserLike): string {
	const name = user.user_metadata?.display_name;
	if (typeof name === 'string' && name.trim()) return name.trim();
	return user.email?.split('@')[0] ?? 'there';
}

/** Up to two initials for an avatar, from the display name. */
export function initialsOf(displayName: string): string {
	const words = displayName.trim().split(/\s+/).filter(Boolean);
	const letters =
		words.length > 1
			? [words[0][0], words[words.length - 1][0]]
			: [...(words[0] ?? '?')].slice(0, 2);
	return letters.join('').toUpperCase();
}
