import { defineConfig } from '@playwright/test';

// The app under test runs as `npm run dev` runs it, on its own port, over a throwaway local stack.
const appPort = Number(process.env.PARLEY_E2E_PORT || 5183);
const baseURL = `http://localhost:${appPort}`;

export default defineConfig({
	testDir: 'tests/e2e',
	testMatch: '**/*.e2e.ts',
	outputDir: 'test-results',
	// Opens every page once before the first test, so no test waits for vite to compile a route.
	globalSetup: './tests/e2e/support/warm-up.ts',
	fullyParallel: false,
	workers: 1,
	retries: 0,
	// Safety nets against a hang, not speed goals: each test is a journey of many steps, and on a
	// two-core machine running other suites (load average near 20) the team journey takes 4 minutes.
	timeout: 600_000,
	expect: { timeout: 20_000 },
	reporter: process.env.CI ? 'line' : 'list',
	use: {
		baseURL,
		browserName: 'chromium',
		launchOptions: {
			// Debian's Chromium; `npm run test:e2e` installs it when missing (no browser download).
			executablePath: '/usr/bin/chromium',
			args: [
				'--no-sandbox',
				'--disable-gpu',
				'--disable-background-networking',
				'--disable-component-update',
				'--disable-sync',
				'--disable-quic',
				'--no-first-run'
			]
		},
		trace: 'retain-on-failure',
		screenshot: 'only-on-failure'
	},
	webServer: {
		command: 'node_modules/.bin/tsx scripts/dev.ts --e2e',
		url: `${baseURL}/login`,
		env: { PARLEY_APP_PORT: String(appPort) },
		reuseExistingServer: !process.env.CI,
		// Migrating a fresh database and vite's first compile take a while on a small machine.
		timeout: 180_000,
		// SIGTERM lets dev.ts stop vite and the stack and remove its temporary database.
		gracefulShutdown: { signal: 'SIGTERM', timeout: 20_000 },
		stdout: 'ignore',
		stderr: 'pipe'
	}
});
