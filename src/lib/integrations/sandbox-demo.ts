import { z } from 'zod';

/** The Twilio credentials the local provider sandbox accepts, for the Integrations form. */
export interface SandboxTwilioCredentials {
	accountSid: string;
	authToken: string;
}

const stackInfoSchema = z.object({
	supabaseUrl: z.string(),
	sandbox: z.object({
		twilio: z.object({ accountSid: z.string().min(1), authToken: z.string().min(1) })
	})
});

/**
 * The sandbox's demo Twilio credentials when, and only when, they can work: a development server
 * (`dev`) whose Supabase is the local stack that started the sandbox (its stack.json names the same
 * URL). Anything else (a production build, a hosted project, no or another stack) gives null, so
 * the values never reach such a page.
 */
export function sandboxTwilioCredentials(options: {
	dev: boolean;
	supabaseUrl: string;
	stackInfo: () => string | undefined;
}): SandboxTwilioCredentials | null {
	if (!options.dev) return null;
	const text = options.stackInfo();
	if (text === undefined) return null;
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch {
		return null;
	}
	const info = stackInfoSchema.safeParse(json);
	if (!info.success || info.data.supabaseUrl !== options.supabaseUrl) return null;
	const { accountSid, authToken } = info.data.sandbox.twilio;
	return { accountSid, authToken };
}
