import { redirect, type Handle } from '@sveltejs/kit';
import { sequence } from '@sveltejs/kit/hooks';
import type { Session } from '@supabase/supabase-js';
import { authRedirect } from '$lib/auth/redirects';
import { createSupabaseServerClient } from '$lib/supabase/client.server';
import { getSupabaseConfig } from '$lib/supabase/config.server';
import type { ParleyClient } from '$lib/supabase/types';

/** Asks Auth whether the cookie's user and session still exist: the cookie alone could be forged or revoked. */
async function verifySession(supabase: ParleyClient, session: Session): Promise<App.SessionInfo> {
	const {
		data: { user },
		error
	} = await supabase.auth.getUser();
	if (error || !user) return { session: null, user: null };
	return { session, user };
}

/** One Supabase client per request, and a session that is only believed once Auth confirms the user. */
const supabase: Handle = async ({ event, resolve }) => {
	const config = getSupabaseConfig();
	event.locals.supabaseConfig = config;
	event.locals.supabase = createSupabaseServerClient(event, config);

	// Verified once per access token, so the guard and the loads of one request share one Auth call,
	// while a sign-in or sign-out earlier in the same request is still seen.
	let verified: { accessToken: string; info: Promise<App.SessionInfo> } | undefined;
	event.locals.safeGetSession = async () => {
		const {
			data: { session }
		} = await event.locals.supabase.auth.getSession();
		if (!session) return { session: null, user: null };
		if (verified?.accessToken !== session.access_token) {
			verified = {
				accessToken: session.access_token,
				info: verifySession(event.locals.supabase, session)
			};
		}
		return verified.info;
	};

	return resolve(event, {
		// supabase-js reads these on responses that SvelteKit replays from server-side fetches.
		filterSerializedResponseHeaders: (name) =>
			name === 'content-range' || name === 'x-supabase-api-version'
	});
};

/** Keeps signed-out visitors out of the app and signed-in people off the sign-in pages. */
const authGuard: Handle = async ({ event, resolve }) => {
	const { user } = await event.locals.safeGetSession();
	const target = authRedirect(event.url, user !== null);
	if (target) redirect(303, target);
	return resolve(event);
};

export const handle = sequence(supabase, authGuard);
