/**
 * The API gateway's key rule, as hosted Supabase applies it in front of its services: a request to
 * REST, Auth, Storage or Realtime must carry an `apikey` header or query parameter, or it is refused
 * with 401 before any service sees it. Links opened from a mail or a browser (Auth's verify,
 * callback and authorize; Storage's public and signed object URLs) pass without one, and Edge
 * Functions are left to each function's `verify_jwt`.
 */

const KEYED_PREFIXES = ['/rest/v1', '/auth/v1', '/storage/v1', '/realtime/v1'];

const OPEN_PATHS = [
	/^\/auth\/v1\/(verify|callback|authorize)\/?$/,
	/^\/storage\/v1\/object\/public\//,
	/^\/storage\/v1\/object\/sign\//,
	/^\/storage\/v1\/object\/upload\/sign\//,
	/^\/storage\/v1\/render\/image\/(public|sign)\//
];

/** The body hosted Supabase answers a keyless request with. */
export const MISSING_API_KEY_BODY = {
	message: 'No API key found in request',
	hint: 'No `apikey` request header or url param was found.'
};

/** Whether the gateway refuses this request for want of an apikey. */
export function lacksRequiredApiKey(url: URL, apikeyHeader: string | null | undefined): boolean {
	const { pathname } = url;
	const keyed = KEYED_PREFIXES.some(
		(prefix) => pathname === prefix || pathname.startsWith(prefix + '/')
	);
	if (!keyed || OPEN_PATHS.some((open) => open.test(pathname))) return false;
	return !apikeyHeader && !url.searchParams.get('apikey');
}
