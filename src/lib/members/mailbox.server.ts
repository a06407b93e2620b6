/** An invitation mail as the dev mailbox stores it. */
export interface InvitationMail {
	to: string;
	subject: string;
	text: string;
	link: string;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Drops the mail into the local stack's dev mailbox when the app runs against it (a Supabase URL on
 * loopback that answers `/_parley/mailbox`). Returns whether it was delivered; with a hosted project
 * nothing is sent and the inviter copies the link instead.
 */
export async function deliverToDevMailbox(
	supabaseUrl: string,
	mail: InvitationMail,
	fetchFn: typeof fetch = fetch
): Promise<boolean> {
	let url: URL;
	try {
		url = new URL('/_parley/mailbox', supabaseUrl);
	} catch {
		return false;
	}
	if (!LOOPBACK_HOSTS.has(url.hostname)) return false;
	try {
		const response = await fetchFn(url, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(mail)
		});
		return response.ok;
	} catch {
		return false;
	}
}

/** The mail an invitee receives: who invited them, where, as what, and the link. */
export function invitationMail(options: {
	to: string;
	workspaceName: string;
	roleLabel: string;
	inviterName: string;
	link: string;
}): InvitationMail {
	const { to, workspaceName, roleLabel, inviterName, link } = options;
	return {
		to,
		subject: `${inviterName} invited you to ${workspaceName} on Parley`,
		text:
			`${inviterName} invited you to join ${workspaceName} on Parley as ${roleLabel.toLowerCase()}.\n\n` +
			`Open this link to accept (it works for 7 days):\n${link}\n`,
		link
	};
}
