import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// Every function deploys with its own deno.json (Supabase's layout); `_shared` imports bare
// specifiers, which each map must pin the same way and which Node resolves from node_modules.
const functionsDir = resolve(import.meta.dirname, '../../../supabase/functions');
const functionDirs = readdirSync(functionsDir, { withFileTypes: true })
	.filter((entry) => entry.isDirectory() && !/^[_.]/.test(entry.name))
	.map((entry) => entry.name)
	.filter((name) => existsSync(join(functionsDir, name, 'index.ts')));

function importsOf(name: string): Record<string, string> {
	const config = JSON.parse(readFileSync(join(functionsDir, name, 'deno.json'), 'utf8')) as {
		imports?: Record<string, string>;
	};
	return config.imports ?? {};
}

function sharedBareSpecifiers(): Set<string> {
	const found = new Set<string>();
	const walk = (dir: string) => {
		for (const entry of readdirSync(dir, { withFileTypes: true })) {
			const path = join(dir, entry.name);
			if (entry.isDirectory()) walk(path);
			// The AI, knowledge and copilot modules still load through Deno only (npm: specifiers).
			else if (entry.name.endsWith('.ts') && !/^(ai|knowledge|copilot)/.test(entry.name)) {
				const source = readFileSync(path, 'utf8');
				for (const match of source.matchAll(
					/^(?:import|export|\})[^'\n]*?from '([^'./][^']*)'/gm
				)) {
					if (!match[1].includes(':')) found.add(match[1]);
				}
			}
		}
	};
	walk(join(functionsDir, '_shared'));
	return found;
}

describe('function import maps', () => {
	it('every function has a deno.json, and no two pin a package differently', () => {
		expect(functionDirs.length).toBeGreaterThan(0);
		const pinned = new Map<string, string>();
		for (const name of functionDirs) {
			for (const [specifier, target] of Object.entries(importsOf(name))) {
				expect(pinned.get(specifier) ?? target, `${name}: ${specifier}`).toBe(target);
				pinned.set(specifier, target);
			}
		}
	});

	it('maps every bare specifier _shared imports to an npm: package that node_modules also has', () => {
		const imports = Object.assign({}, ...functionDirs.map(importsOf)) as Record<string, string>;
		const packageJson = JSON.parse(
			readFileSync(resolve(functionsDir, '../../package.json'), 'utf8')
		) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
		const installed = { ...packageJson.dependencies, ...packageJson.devDependencies };
		const specifiers = sharedBareSpecifiers();
		expect(specifiers.has('zod')).toBe(true);
		for (const specifier of specifiers) {
			const packageName = specifier.startsWith('@')
				? specifier.split('/').slice(0, 2).join('/')
				: specifier.split('/')[0];
			const mapped = imports[specifier] ?? imports[`${packageName}/`] ?? '';
			expect(mapped, specifier).toMatch(/^npm:/);
			expect(installed[packageName] ?? null, `${packageName} in package.json`).not.toBeNull();
		}
	});
});
