import type { StackContext, StackService } from './context.ts';
import { json } from './http.ts';

/** GoTrue-compatible Auth at /auth/v1. */
export async function createAuthService(context: StackContext): Promise<StackService> {
	void context;
	return { fetch: async () => json({ code: 'not_implemented', message: 'not implemented yet' }, 501) };
}
