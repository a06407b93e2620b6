import prettier from 'eslint-config-prettier';
import path from 'node:path';
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import { defineConfig, includeIgnoreFile } from 'eslint/config';
import globals from 'globals';
import ts from 'typescript-eslint';

const gitignorePath = path.resolve(import.meta.dirname, '.gitignore');

export default defineConfig(
	includeIgnoreFile(gitignorePath),
	js.configs.recommended,
	ts.configs.recommended,
	svelte.configs.recommended,
	prettier,
	svelte.configs.prettier,
	{
		languageOptions: { globals: { ...globals.browser, ...globals.node } },
		rules: {
			// typescript-eslint strongly recommend that you do not use the no-undef lint rule on TypeScript projects.
			// see: https://typescript-eslint.io/troubleshooting/faqs/eslint/#i-get-errors-from-the-no-undef-rule-about-global-variables-not-being-defined-even-though-there-are-no-typescript-errors
			'no-undef': 'off'
		}
	},
	{
		files: ['**/*.svelte', '**/*.svelte.ts', '**/*.svelte.js'],
		languageOptions: {
			parserOptions: {
				projectService: true,
				extraFileExtensions: ['.svelte'],
				parser: ts.parser
			}
		}
	},
	{
		// Imports point down: the sandbox stands in for providers and must not borrow production code,
		// and the local stack is composed with the sandbox only in scripts/.
		files: ['sandbox/**/*.ts'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							group: ['**/supabase/**', '**/src/**', '$lib/*', '$shared/*'],
							message: 'The sandbox imports no production code.'
						}
					]
				}
			]
		}
	},
	{
		// supabase-js is about 60 KB of gzipped JavaScript: the browser loads it on first use, through
		// $lib/supabase/browser, so that no page waits for it. Types may be imported anywhere.
		files: ['src/**/*.ts', 'src/**/*.svelte'],
		ignores: [
			'src/**/*.server.ts',
			'src/lib/server/**',
			'src/hooks.server.ts',
			'src/**/+server.ts'
		],
		rules: {
			'@typescript-eslint/no-restricted-imports': [
				'error',
				{
					paths: ['@supabase/supabase-js', '@supabase/ssr'].map((name) => ({
						name,
						allowTypeImports: true,
						message:
							'The browser loads Supabase on first use: call loadSupabaseBrowserClient from $lib/supabase/browser.'
					}))
				}
			]
		}
	},
	{
		files: ['supabase/**/*.ts'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							group: ['**/sandbox/**', '**/scripts/**', '**/tests/**'],
							message:
								'Supabase code never imports the sandbox, scripts or tests; scripts/stack.ts composes them.'
						}
					]
				}
			]
		}
	}
);
