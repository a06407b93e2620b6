import { dev } from '$app/environment';
import { readLocalStackInfo } from '$lib/supabase/config.server';
import type { SupabasePublicConfig } from '$lib/supabase/config';
import { sandboxTwilioCredentials, type SandboxTwilioCredentials } from './sandbox-demo.ts';

/**
 * The demo Twilio credentials the Integrations page may offer on this server: only in development
 * and only over the local stack's sandbox (see sandboxTwilioCredentials); null in production.
 */
export function offeredSandboxTwilio(
	supabaseConfig: SupabasePublicConfig
): SandboxTwilioCredentials | null {
	return sandboxTwilioCredentials({
		dev,
		supabaseUrl: supabaseConfig.url,
		stackInfo: readLocalStackInfo
	});
}
