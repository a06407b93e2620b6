/** Where a signed-in person goes by default. */
export const HOME_PATH = '/app';
/** Where a signed-out person goes to sign in. */
export const LOGIN_PATH = '/login';

/** Pages only for people who are signed out; a signed-in visitor is sent on. */
const signedOutOnlyPaths = ['/login', '/signup'];

function isUnder(pathname: string, base: string): boolean {
	return pathname === base || pathname.startsWith(base + '/');
}

/**
 * A `?next=` value that is safe to redirect to: a path on this site only, so a crafted link
 * cannot bounce someone to another origin after they sign in.
 */
export function safeNextPath(next: string | null | undefined, fallback = HOME_PATH): string {
	if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\'))
		return fallback;
	try {
		const url = new URL(next, 'http://parley.invalid');
		if (url.origin !== 'http://parley.invalid') return fallback;
		return url.pathname + url.search + url.hash;
	} catch {
		return fallback;
	}
}

/**
 * Decides whether a request must be redirected because of who is (not) signed in: the app needs a
 * session (and remembers where the person was going), the sign-in pages need none.
 */
export function authRedirect(url: URL, signedIn: boolean): string | null {
	if (!signedIn && isUnder(url.pathname, HOME_PATH)) {
		const next = url.pathname + url.search;
		return next === HOME_PATH ? LOGIN_PATH : `${LOGIN_PATH}?next=${encodeURIComponent(next)}`;
	}
	if (signedIn && signedOutOnlyPaths.some((path) => isUnder(url.pathname, path))) {
		return safeNextPath(url.searchParams.get('next'));
	}
	return null;
}
