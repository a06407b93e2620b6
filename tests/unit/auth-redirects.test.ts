import { describe, expect, it } from 'vitest';
import { authRedirect, safeNextPath } from '$lib/auth/redirects';

const at = (path: string) => new URL(path, 'http://localhost:5173');

describe('authRedirect', () => {
	it('sends a signed-out visitor of the app to sign in, remembering where they were going', () => {
		expect(authRedirect(at('/app/acme/whatsapp?tab=open'), false)).toBe(
			'/login?next=%2Fapp%2Facme%2Fwhatsapp%3Ftab%3Dopen'
		);
		expect(authRedirect(at('/app'), false)).toBe('/login');
	});

	it('sends a signed-in person away from the sign-in and sign-up pages, honouring a safe next', () => {
		expect(authRedirect(at('/login'), true)).toBe('/app');
		expect(authRedirect(at('/signup'), true)).toBe('/app');
		expect(authRedirect(at('/login?next=%2Fapp%2Facme'), true)).toBe('/app/acme');
	});

	it('leaves everything else alone', () => {
		expect(authRedirect(at('/app'), true)).toBeNull();
		expect(authRedirect(at('/login'), false)).toBeNull();
		expect(authRedirect(at('/application'), false)).toBeNull();
		expect(authRedirect(at('/logout'), false)).toBeNull();
	});
});

describe('safeNextPath', () => {
	it('keeps a path on this site', () => {
		expect(safeNextPath('/app/acme?x=1#y')).toBe('/app/acme?x=1#y');
	});

	it('refuses anything that could leave the site', () => {
		for (const next of [
			'https://evil.example',
			'//evil.example/app',
			'/\\evil.example',
			'app',
			'',
			null,
			undefined
		]) {
			expect(safeNextPath(next)).toBe('/app');
		}
	});
});
