/**
 * What the provider functions need from their environment and from Supabase: configuration read
 * once from the function's secrets, a client acting as the caller (RLS applies) and a service-role
 * client for secrets, and the role check every management route starts with.
 */
import { createClient, type SupabaseClient } from 'npm:@supabase/supabase-js@2';
import { HttpError, uuidPattern } from './http.ts';
import { decryptSecret, importEncryptionKey } from './crypto.ts';
import { defaultGraphVersion, graphBaseUrl } from './providers/meta.ts';

/** Settings of the provider functions, from function secrets (see supabase/functions/.env.example). */
export interface ProviderFunctionConfig {
	supabaseUrl: string;
	anonKey: string;
	serviceRoleKey: string;
	/** PARLEY_ENCRYPTION_KEY: 32 bytes, base64. */
	encryptionKey: string | undefined;
	/** TWILIO_API_URL: where the Twilio SDK sends requests instead of *.twilio.com (the sandbox). */
	twilioApiUrl: string | undefined;
	/** The Graph API with its version: META_GRAPH_URL (default https://graph.facebook.com) and META_GRAPH_VERSION. */
	metaGraphUrl: string;
	/** Public base of the Edge Functions, for the webhook URLs shown to admins. */
	publicFunctionsUrl: string;
}

/** Reads the configuration from an environment object (`Deno.env.toObject()` in a function). */
export function providerFunctionConfig(
	env: Record<string, string | undefined>
): ProviderFunctionConfig {
	const supabaseUrl = (env.SUPABASE_URL ?? '').replace(/\/+$/, '');
	return {
		supabaseUrl,
		anonKey: env.SUPABASE_ANON_KEY ?? '',
		serviceRoleKey: env.SUPABASE_SERVICE_ROLE_KEY ?? '',
		encryptionKey: env.PARLEY_ENCRYPTION_KEY || undefined,
		twilioApiUrl: env.TWILIO_API_URL || undefined,
		metaGraphUrl: graphBaseUrl(
			env.META_GRAPH_URL || 'https://graph.facebook.com',
			env.META_GRAPH_VERSION || defaultGraphVersion
		),
		publicFunctionsUrl: (env.PARLEY_PUBLIC_FUNCTIONS_URL || `${supabaseUrl}/functions/v1`).replace(
			/\/+$/,
			''
		)
	};
}

export type MemberRole = 'owner' | 'admin' | 'agent';

/** The signed-in caller of a management route, checked against the database. */
export interface TenantManager {
	userId: string;
	role: MemberRole;
	/** Acts as the caller: every query goes through RLS. */
	caller: SupabaseClient;
	/** Bypasses RLS: only for secrets, after the role check. */
	service: SupabaseClient;
}

const clientOptions = {
	auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false }
};

/** The claims of a JWT the gateway already verified (the database verifies it again on every query). */
function claimsOf(token: string): { sub?: string; role?: string } {
	try {
		const payload = token.split('.')[1] ?? '';
		const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
		return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
	} catch {
		return {};
	}
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
	const authorization = request.headers.get('authorization') ?? '';
	const token = authorization.replace(/^Bearer\s+/i, '');
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
	const caller = createClient(config.supabaseUrl, config.anonKey, {
		...clientOptions,
		global: { headers: { Authorization: `Bearer ${token}` } }
	});
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
	const service = createClient(config.supabaseUrl, config.serviceRoleKey, clientOptions);
	return { userId: claims.sub, role, caller, service };
}

/** The encryption key from PARLEY_ENCRYPTION_KEY, or a 500 that says what the operator must set. */
export async function encryptionKeyOf(config: ProviderFunctionConfig): Promise<CryptoKey> {
	try {
		return await importEncryptionKey(config.encryptionKey);
	} catch (error) {
		console.error((error as Error).message);
		throw new HttpError(
			500,
			'server_misconfigured',
			'Parley cannot store or read provider credentials because its encryption key is not set up. Ask whoever runs this Parley to set PARLEY_ENCRYPTION_KEY.'
		);
	}
}

/** Decrypts a stored secret; one that no longer opens (the key changed) asks for the secret again. */
export async function openStoredSecret(
	ciphertext: string,
	key: CryptoKey,
	what: string
): Promise<string> {
	try {
		return await decryptSecret(ciphertext, key);
	} catch {
		throw new HttpError(
			409,
			'stored_secret_unreadable',
			`Parley can no longer read the stored ${what} (the encryption key changed). Enter it again.`
		);
	}
}
