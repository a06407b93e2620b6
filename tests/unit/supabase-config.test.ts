import { describe, expect, it } from 'vitest';
import { resolveSupabaseConfig, SupabaseNotConfiguredError } from '$lib/supabase/config';

const stackJson = JSON.stringify({
	supabaseUrl: 'http://127.0.0.1:54321',
	anonKey: 'anon-key',
	serviceRoleKey: 'service-role-key',
	mailboxUrl: 'http://127.0.0.1:54321/_parley/mailbox'
});

describe('resolveSupabaseConfig', () => {
	it('prefers the environment and does not look for a local stack', () => {
		const config = resolveSupabaseConfig(
			{
				PUBLIC_SUPABASE_URL: 'https://project.supabase.co',
				PUBLIC_SUPABASE_ANON_KEY: 'hosted-key'
			},
			() => {
				throw new Error('the local stack file must not be read');
			}
		);
		expect(config).toEqual({ url: 'https://project.supabase.co', anonKey: 'hosted-key' });
	});

	it("falls back to the local stack's URL and anon key, and only those", () => {
		const config = resolveSupabaseConfig({}, () => stackJson);
		expect(config).toEqual({ url: 'http://127.0.0.1:54321', anonKey: 'anon-key' });
		expect(JSON.stringify(config)).not.toContain('service-role-key');
	});

	it('says how to fix it when nothing is configured', () => {
		expect(() =>
			resolveSupabaseConfig({ PUBLIC_SUPABASE_URL: 'https://x.supabase.co' }, () => undefined)
		).toThrow(SupabaseNotConfiguredError);
		expect(() => resolveSupabaseConfig({}, () => '{"supabaseUrl": 1}')).toThrow(
			/PUBLIC_SUPABASE_URL/
		);
		expect(() => resolveSupabaseConfig({}, () => 'not json')).toThrow(/not valid JSON/);
	});
});
