/**
 * The settings every Parley function reads once from its secrets (see supabase/functions/.env.example)
 * and hands to its handler; nothing below the handler reads the environment again.
 */
import { defaultGraphVersion, graphBaseUrl } from './providers/meta-graph.ts';

/** Settings of the provider functions, from function secrets. */
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
