import type { StackContext, StackService } from '../context.ts';
import { adminRoutes } from './admin.ts';
import { loadAuthConfig } from './config.ts';
import { createAuthEnv } from './env.ts';
import { AuthApiError, authErrorResponse, requestedApiVersion } from './errors.ts';
import { publicRoutes } from './public.ts';
import { linkRoutes } from './public-links.ts';
import { matchRoute, readBody, type AuthRoute } from './requests.ts';

/**
 * GoTrue (Supabase Auth) for the local stack at /auth/v1: sign-up, sessions, emailed links and the
 * admin API on the auth.* tables, with config.toml's `[auth]` settings. One route table; the
 * endpoints live in public.ts, public-links.ts and admin.ts.
 */
export async function createAuthService(context: StackContext): Promise<StackService> {
	const env = createAuthEnv(context, await loadAuthConfig(context.supabaseDir));
	const routes: AuthRoute[] = [...publicRoutes(env), ...linkRoutes(env), ...adminRoutes(env)];

	return {
		async fetch(request, subpath) {
			try {
				const found = matchRoute(routes, request.method, subpath);
				if (!found) {
					throw new AuthApiError(
						404,
						'not_found',
						`${request.method} /auth/v1${subpath} is not supported by the local stack`
					);
				}
				const body = await readBody(request);
				const outcome = await found.route.handle({ request, body, params: found.params });
				outcome.afterCommit?.();
				const version = requestedApiVersion(request);
				if (version) outcome.response.headers.set('x-supabase-api-version', version);
				return outcome.response;
			} catch (error) {
				if (error instanceof AuthApiError) return authErrorResponse(request, error);
				console.error('[auth]', error);
				return authErrorResponse(
					request,
					new AuthApiError(
						500,
						'unexpected_failure',
						'The local Auth server failed unexpectedly; see the stack log'
					)
				);
			}
		}
	};
}
