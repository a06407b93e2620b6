import { defineConfig } from 'vitest/config';

// Suites that need a real PostgreSQL server (they terminate its backends), so they are not part of
// the default run on PGlite: `PARLEY_TEST_DATABASE_URL=<superuser url> npx vitest run --config
// tests/postgres/vitest.config.ts`, as CI does.
export default defineConfig({
	test: {
		name: 'postgres',
		environment: 'node',
		include: ['tests/postgres/**/*.test.ts'],
		expect: { requireAssertions: true },
		testTimeout: 60_000,
		hookTimeout: 120_000
	}
});
