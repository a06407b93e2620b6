/**
 * Who is calling: the signed-in person behind a user-facing route (from the JWT the gateway already
 * verified; the database verifies it again on every query), and for management routes their role
 * in the workspace, asked of the database with their own JWT.
 */
import { HttpError, uuidPattern } from './http.ts';
import { callerClient, serviceClient, type DatabaseClient } from './clients.ts';
import type { ProviderFunctionConfig } from './config.ts';

/** The bearer token of a request, without its scheme. */
function bearerToken(request: Request): string {
	return (request.headers.get('authorization') ?? '').replace(/^Bearer\s+/i, '');
}

/** The claims of a JWT the gateway already verified; none when it cannot be read. */
function claimsOf(token: string): { sub?: string; role?: string } {
	try {
		const payload = (token.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/');
		return JSON.parse(
			new TextDecoder().decode(Uint8Array.from(atob(payload), (c) => c.charCodeAt(0)))
		);
	} catch {
		return {};
	}
}

/** The signed-in caller: their id and a client acting as them (RLS decides what they see). */
export interface Caller {
	userId: string;
	client: DatabaseClient;
}

/** The caller of a user-facing route; 401 for anyone not signed in. */
export function requireCaller(request: Request, config: ProviderFunctionConfig): Caller {
	const token = bearerToken(request);
	const claims = claimsOf(token);
	if (claims.role !== 'authenticated' || !claims.sub) {
		throw new HttpError(401, 'not_signed_in', 'Sign in to read and send WhatsApp messages.');
	}
	return { userId: claims.sub, client: callerClient(config, token) };
}

export type MemberRole = 'owner' | 'admin' | 'agent';

/** The signed-in caller of a management route, checked against the database. */
export interface TenantManager {
	userId: string;
	/** The workspace, checked to be one the caller manages. */
	tenantId: string;
	role: MemberRole;
	/** Acts as the caller: every query goes through RLS. */
	caller: DatabaseClient;
	/** Bypasses RLS: only for secrets, after the role check. */
	service: DatabaseClient;
}

/**
 * Confirms the caller is an owner or admin of the tenant by asking the database with the caller's
 * own JWT (so RLS and auth.uid() decide), and returns both clients.
 */
export async function requireTenantManager(
	request: Request,
	tenantId: string | undefined,
	config: ProviderFunctionConfig
): Promise<TenantManager> {
	const token = bearerToken(request);
	const claims = claimsOf(token);
	if (claims.role !== 'authenticated' || !claims.sub) {
		throw new HttpError(
			401,
			'not_signed_in',
			'Sign in to manage WhatsApp numbers and integrations.'
		);
	}
	if (!tenantId || !uuidPattern.test(tenantId)) {
		throw new HttpError(404, 'not_found', 'There is no such workspace. Check the address.');
	}
	const caller = callerClient(config, token);
	const { data: role, error } = await caller.rpc('current_member_role', { tenant_id: tenantId });
	if (error) {
		if (error.code === 'PGRST301' || error.code === 'PGRST303') {
			throw new HttpError(401, 'not_signed_in', 'Your session has expired. Sign in again.');
		}
		throw new Error(`current_member_role failed: ${error.code} ${error.message}`);
	}
	if (role !== 'owner' && role !== 'admin') {
		throw new HttpError(
			403,
			'forbidden',
			role
				? 'Only owners and admins can manage WhatsApp numbers and integrations.'
				: 'You are not a member of this workspace.'
		);
	}
	return { userId: claims.sub, tenantId, role, caller, service: serviceClient(config) };
}
