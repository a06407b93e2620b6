/**
 * Before the first test: opens every page once in a browser (the sign-in pages signed out, the
 * rest as the demo owner), so `vite dev` has compiled each route's server and browser modules and
 * optimized their dependencies. Otherwise the first test to reach a route waits for that compile,
 * and a late dependency optimization reloads the page under it. Only reads: no data changes.
 */
import { chromium, type FullConfig, type Page } from '@playwright/test';
import { readdir } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';

const DEMO_OWNER = { email: 'owner@parley.local', password: 'parley-demo' };

/** What stands in for a route's dynamic segments. */
const placeholders: Record<string, string> = {
	tenant: 'acme',
	token: '0'.repeat(64),
	id: '00000000-0000-4000-8000-000000000000'
};

interface PagePath {
	path: string;
	signedOut: boolean;
}

/** Every page of the app, from the `+page.svelte` files under src/routes. */
async function pagePaths(routesDir: string): Promise<PagePath[]> {
	const files = await readdir(routesDir, { recursive: true });
	return files
		.filter((file) => file.split(sep).at(-1) === '+page.svelte')
		.map((file) => {
			const segments = file.split(sep).slice(0, -1);
			const path = segments
				.filter((segment) => !/^\(.*\)$/.test(segment))
				.map((segment) => segment.replace(/^\[(\w+)\]$/, (_, name: string) => placeholders[name]));
			return { path: `/${path.join('/')}`, signedOut: segments[0] === '(auth)' };
		})
		.sort((a, b) => a.path.localeCompare(b.path));
}

/** Opens `path` and waits until the page and everything it fetched have loaded. */
async function visit(page: Page, path: string): Promise<void> {
	await page.goto(path, { waitUntil: 'networkidle', timeout: 120_000 });
}

export default async function warmUp(config: FullConfig): Promise<void> {
	const use = config.projects[0].use;
	const root = config.configFile ? dirname(config.configFile) : process.cwd();
	const pages = await pagePaths(join(root, 'src', 'routes'));
	const browser = await chromium.launch(use.launchOptions);
	try {
		const page = await browser.newPage({ baseURL: use.baseURL });
		for (const { path } of pages.filter((entry) => entry.signedOut)) await visit(page, path);
		await visit(page, '/login');
		// The root layout marks the body once hydrated: the form answers as a person's click would.
		await page.locator('body[data-hydrated]').waitFor({ state: 'attached', timeout: 120_000 });
		await page.getByLabel('Email').fill(DEMO_OWNER.email);
		await page.getByLabel('Password').fill(DEMO_OWNER.password);
		await page.getByRole('button', { name: 'Sign in' }).click();
		await page.waitForURL(/\/app/, { timeout: 120_000 });
		for (const { path } of pages.filter((entry) => !entry.signedOut)) await visit(page, path);
	} finally {
		await browser.close();
	}
}
