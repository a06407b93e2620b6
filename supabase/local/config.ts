import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { z } from 'zod';

/**
 * `supabase/config.toml` as the local stack reads it: the `[api]` and `[auth]` sections, validated,
 * with the defaults `supabase init` writes for anything left out. Unknown keys are ignored, as the
 * CLI ignores settings of services it does not run.
 */

const apiSchema = z.object({
	enabled: z.boolean().default(true),
	port: z.number().int().positive().default(54321),
	/** Schemas PostgREST serves; the first is the default for requests without a profile header. */
	schemas: z.array(z.string().min(1)).min(1).default(['public', 'graphql_public']),
	/** Schemas added to every request's search_path after the served one. */
	extra_search_path: z.array(z.string().min(1)).default(['public', 'extensions']),
	/** Rows a read answers at most (PostgREST's db-max-rows); 0 means no limit. */
	max_rows: z.number().int().nonnegative().default(1000)
});

const authRateLimitSchema = z.object({
	email_sent: z.number().int().nonnegative().default(2),
	sms_sent: z.number().int().nonnegative().default(30),
	anonymous_users: z.number().int().nonnegative().default(30),
	token_refresh: z.number().int().nonnegative().default(150),
	sign_in_sign_ups: z.number().int().nonnegative().default(30),
	token_verifications: z.number().int().nonnegative().default(30),
	web3: z.number().int().nonnegative().default(30)
});

const authEmailSchema = z.object({
	enable_signup: z.boolean().default(true),
	double_confirm_changes: z.boolean().default(true),
	enable_confirmations: z.boolean().default(false),
	secure_password_change: z.boolean().default(false),
	max_frequency: z.string().default('1s'),
	otp_length: z.number().int().positive().default(6),
	otp_expiry: z.number().int().positive().default(3600)
});

const authSmsSchema = z.object({
	enable_signup: z.boolean().default(false),
	enable_confirmations: z.boolean().default(false),
	max_frequency: z.string().default('5s')
});

const authSchema = z.object({
	enabled: z.boolean().default(true),
	site_url: z.string().default('http://127.0.0.1:3000'),
	additional_redirect_urls: z.array(z.string()).default([]),
	/** Access-token lifetime in seconds. */
	jwt_expiry: z.number().int().positive().default(3600),
	enable_refresh_token_rotation: z.boolean().default(true),
	/** Seconds a rotated refresh token may still be used. */
	refresh_token_reuse_interval: z.number().int().nonnegative().default(10),
	enable_signup: z.boolean().default(true),
	enable_anonymous_sign_ins: z.boolean().default(false),
	enable_manual_linking: z.boolean().default(false),
	minimum_password_length: z.number().int().nonnegative().default(6),
	password_requirements: z
		.enum([
			'',
			'letters_digits',
			'lower_upper_letters_digits',
			'lower_upper_letters_digits_symbols'
		])
		.default(''),
	rate_limit: authRateLimitSchema.prefault({}),
	email: authEmailSchema.prefault({}),
	sms: authSmsSchema.prefault({})
});

const configSchema = z.object({
	project_id: z.string().optional(),
	api: apiSchema.prefault({}),
	auth: authSchema.prefault({})
});

/** The validated `config.toml`: `api` and `auth` sections with defaults filled in. */
export type SupabaseConfig = z.infer<typeof configSchema>;
export type ApiConfig = SupabaseConfig['api'];
export type AuthSettings = SupabaseConfig['auth'];

/** A config.toml the stack cannot use, with a sentence naming the file and the setting. */
export class ConfigError extends Error {}

/** `"env(NAME)"` values take the variable's value, as the Supabase CLI substitutes them. */
function substituteEnv(value: unknown): unknown {
	if (typeof value === 'string') {
		const match = /^env\(([A-Za-z_][A-Za-z0-9_]*)\)$/.exec(value);
		return match ? (process.env[match[1]] ?? value) : value;
	}
	if (Array.isArray(value)) return value.map(substituteEnv);
	if (value && typeof value === 'object') {
		return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v)]));
	}
	return value;
}

/** Validates parsed TOML (or an object written in code) into the stack's configuration. */
export function parseSupabaseConfig(raw: unknown, source = 'config.toml'): SupabaseConfig {
	const result = configSchema.safeParse(substituteEnv(raw ?? {}));
	if (result.success) return result.data;
	const problems = result.error.issues
		.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
		.join('; ');
	throw new ConfigError(
		`${source} has settings the local stack cannot use (${problems}); fix them and start again.`
	);
}

/** Reads `<supabaseDir>/config.toml`; a missing file gives the `supabase init` defaults. */
export async function loadSupabaseConfig(supabaseDir: string): Promise<SupabaseConfig> {
	const path = join(supabaseDir, 'config.toml');
	let text: string;
	try {
		text = await readFile(path, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return parseSupabaseConfig({});
		throw error;
	}
	let raw: unknown;
	try {
		raw = parse(text);
	} catch (error) {
		throw new ConfigError(`${path} is not valid TOML: ${(error as Error).message}`);
	}
	return parseSupabaseConfig(raw, path);
}
