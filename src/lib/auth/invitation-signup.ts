import { previewInvitation, type InvitationPreview } from '$lib/members/tenancy';
import type { ParleyClient } from '$lib/supabase/types';
import { safeNextPath } from './redirects.ts';

/**
 * The invitation token of a `next` that returns to an invitation (`/invite/<token>`), as the
 * invitation page's "Create an account" and "Sign in" links carry it; null for any other `next`.
 */
export function invitationTokenOf(next: string | null | undefined): string | null {
	const path = safeNextPath(next, '');
	return /^\/invite\/([0-9a-f]{64})$/.exec(path)?.[1] ?? null;
}

/**
 * The invitation a sign-up or sign-in is on its way to accept, while it can still be accepted;
 * null when `next` is no invitation, or it is unknown, used or expired (its own page says so).
 */
export async function pendingInvitationOf(
	supabase: ParleyClient,
	next: string | null | undefined
): Promise<InvitationPreview | null> {
	const token = invitationTokenOf(next);
	if (!token) return null;
	// A failed look-up leaves the form as it is: accepting checks the address again anyway.
	const invitation = await previewInvitation(supabase, token).catch((error: unknown) => {
		console.error(error);
		return null;
	});
	if (!invitation || invitation.accepted || invitation.expired) return null;
	return invitation;
}

/**
 * Why `email` may not sign up to accept an invitation sent to `invitedEmail`, as the sentence under
 * the email field; null when it is the invited address. An account under another address could
 * never accept it.
 */
export function invitedEmailRefusal(invitedEmail: string, email: string): string | null {
	if (email.trim().toLowerCase() === invitedEmail.trim().toLowerCase()) return null;
	return `This invitation is for ${invitedEmail}. Sign up with that address to accept it, or ask whoever invited you to invite ${email.trim()} instead.`;
}
