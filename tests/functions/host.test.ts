import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SignJWT } from 'jose';
import { FunctionsHttpError } from '@supabase/supabase-js';
import { FunctionsClient } from '@supabase/functions-js';
import { signJwt } from '../../supabase/local/jwt.ts';
import {
	ANON_KEY,
	PUBLISHABLE_KEY,
	SECRET_KEY,
	SERVICE_ROLE_KEY
} from '../../supabase/local/keys.ts';
import { startGates } from '../support/gates.ts';
import { startTestStack, testDatabaseServer, type TestStack } from '../support/stack.ts';

const fixtureSupabaseDir = fileURLToPath(
	new URL('../fixtures/functions/supabase', import.meta.url)
);
const optionSecret = 'value passed as a stack option';

interface Echo {
	method: string;
	path: string;
	query: string;
	headers: Record<string, string>;
	body: string;
	supabaseUrl: string | null;
	secretDigests: Record<string, string | null>;
	hostOnlyVariable: string | null;
	pid: number;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** The status and body of a FunctionsHttpError, which carries the raw Response. */
async function httpError(error: unknown): Promise<{ status: number; body: unknown }> {
	expect(error).toBeInstanceOf(FunctionsHttpError);
	const response = (error as FunctionsHttpError).context as Response;
	return { status: response.status, body: await response.json() };
}

let stack: TestStack;
let databaseUrl: string | undefined;

beforeAll(async () => {
	// Written here rather than committed: a `.env` file never goes into git, not even a fixture's.
	writeFileSync(
		join(fixtureSupabaseDir, 'functions', '.env'),
		'# Secrets every fixture function sees, as supabase/functions/.env in the app.\nFIXTURE_DOTENV_SECRET="value from the functions .env file"\n'
	);
	process.env.PARLEY_FUNCTIONS_HOST_ONLY = 'the host keeps this to itself';
	stack = await startTestStack({
		supabaseDir: fixtureSupabaseDir,
		functionSecrets: { FIXTURE_OPTION_SECRET: optionSecret }
	});
	if (testDatabaseServer) {
		const { rows } = await stack.db.query<{ name: string }>('select current_database() as name');
		const url = new URL(testDatabaseServer);
		url.pathname = `/${rows[0].name}`;
		databaseUrl = url.toString();
	}
});

afterAll(async () => {
	delete process.env.PARLEY_FUNCTIONS_HOST_ONLY;
	await stack?.close();
});

describe('invoking a function', () => {
	test('the function receives method, sub path, query, headers and body unchanged, and its headers come back', async () => {
		const response = await fetch(`${stack.url}/functions/v1/echo/orders/42?status=open&page=2`, {
			method: 'PUT',
			headers: {
				apikey: ANON_KEY,
				authorization: `Bearer ${ANON_KEY}`,
				'content-type': 'application/json',
				'x-custom-header': 'kept as sent'
			},
			body: JSON.stringify({ hello: 'world' })
		});
		expect(response.status).toBe(200);
		expect(response.headers.get('x-function-header')).toBe('set by the function');
		expect(response.headers.getSetCookie()).toEqual(['first=1; Path=/', 'second=2; Path=/']);
		const echo = (await response.json()) as Echo;
		expect(echo.method).toBe('PUT');
		expect(echo.path).toBe('/echo/orders/42');
		expect(echo.query).toBe('?status=open&page=2');
		expect(echo.headers['x-custom-header']).toBe('kept as sent');
		expect(echo.headers['content-type']).toBe('application/json');
		expect(echo.headers.authorization).toBe(`Bearer ${ANON_KEY}`);
		expect(JSON.parse(echo.body)).toEqual({ hello: 'world' });
	});

	test('supabase-js invoke with the anon key posts JSON and parses the JSON answer', async () => {
		const { data, error } = await stack.client().functions.invoke<Echo>('echo', { body: { n: 1 } });
		expect(error).toBeNull();
		expect(data?.method).toBe('POST');
		expect(data?.path).toBe('/echo');
		expect(JSON.parse(data!.body)).toEqual({ n: 1 });
		expect(data?.headers['x-client-info']).toMatch(/^supabase-js/);
	});

	test('a non-2xx answer of the function reaches supabase-js as FunctionsHttpError with its body', async () => {
		const { data, error } = await stack.client().functions.invoke('validate', { body: {} });
		expect(data).toBeNull();
		expect(await httpError(error)).toEqual({ status: 400, body: { error: 'name is required' } });
	});

	test('an npm: import works', async () => {
		const { data, error } = await stack
			.client()
			.functions.invoke('validate', { body: { name: 'Ada' } });
		expect(error).toBeNull();
		expect(data).toEqual({ greeting: 'Hello, Ada' });
	}, 120_000);

	test('a deno.json import map with nodeModulesDir "auto" resolves bare npm imports', async () => {
		const { data, error } = await stack
			.client()
			.functions.invoke('validate-mapped', { body: { name: 'Grace' } });
		expect(error).toBeNull();
		expect(data).toEqual({ greeting: 'Hello, Grace' });
	}, 120_000);

	test('a module with `export default { fetch }` is served', async () => {
		const { data, error } = await stack
			.client()
			.functions.invoke('default-export/inner', { method: 'GET' });
		expect(error).toBeNull();
		expect(data).toEqual({ servedBy: 'default export', path: '/default-export/inner' });
	});

	test('a streamed body arrives chunk by chunk, not buffered', async () => {
		const gates = await startGates();
		try {
			const { data, error } = await stack
				.client()
				.functions.invoke<Response>(`stream?gate=${encodeURIComponent(gates.url('second'))}`, {
					method: 'GET'
				});
			expect(error).toBeNull();
			const reader = data!.body!.getReader();
			const decoder = new TextDecoder();
			let received = '';
			// The function sends the second event only once the gate opens below.
			while (!received.includes('data: first'))
				received += decoder.decode((await reader.read()).value);
			expect(received).toBe('data: first\n\n');
			await expect.poll(() => gates.arrived()).toEqual(['second']);
			gates.open('second');
			for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
				received += decoder.decode(chunk.value);
			}
			expect(received).toBe('data: first\n\ndata: second\n\n');
		} finally {
			await gates.close();
		}
	});

	test('a chunked body on a DELETE reaches the function as its body, never as a request of its own', async () => {
		const smuggled = 'GET /functions/v1/public-echo/smuggled HTTP/1.1\r\nHost: worker\r\n\r\n';
		const { port } = new URL(stack.url);
		const raw = await new Promise<string>((resolve, reject) => {
			// Written, not ended: the server answers a request whose caller has not hung up.
			const socket = connect(Number(port), '127.0.0.1', () => {
				socket.write(
					'DELETE /functions/v1/public-echo HTTP/1.1\r\nHost: stack\r\n' +
						'Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
						`${Buffer.byteLength(smuggled).toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`
				);
			});
			let answer = '';
			socket.setEncoding('utf8');
			socket.on('data', (chunk) => (answer += chunk));
			socket.on('end', () => resolve(answer));
			socket.on('error', reject);
		});
		expect(raw.slice(0, 200)).toMatch(/^HTTP\/1.1 200/);
		const echo = JSON.parse(raw.slice(raw.indexOf('{'), raw.lastIndexOf('}') + 1)) as Echo;
		expect([echo.method, echo.path, echo.body]).toEqual(['DELETE', '/public-echo', smuggled]);
	});

	test('the functions root is no function: a preflight gets the CORS answer, anything else 404', async () => {
		const preflight = await fetch(`${stack.url}/functions/v1`, { method: 'OPTIONS' });
		expect([preflight.status, preflight.headers.get('access-control-allow-origin')]).toEqual([
			204,
			'*'
		]);
		const get = await fetch(`${stack.url}/functions/v1`);
		expect(get.status).toBe(404);
		await get.body?.cancel();
	});

	test('a function that does not exist answers 404', async () => {
		const { error } = await stack.client().functions.invoke('no-such-function');
		expect(await httpError(error)).toEqual({
			status: 404,
			body: { code: 'NOT_FOUND', message: 'Function not found' }
		});
	});

	test('_shared is never served, not even its files', async () => {
		for (const name of ['_shared', '_shared/echo.ts']) {
			const { error } = await stack
				.client(SERVICE_ROLE_KEY)
				.functions.invoke(name, { method: 'GET' });
			expect((await httpError(error)).status).toBe(404);
		}
	});
});

describe('verify_jwt', () => {
	const forge = () =>
		new SignJWT({ role: 'service_role' })
			.setProtectedHeader({ alg: 'HS256' })
			.sign(new TextEncoder().encode('not-the-stack-secret-but-long-enough-to-sign'));

	test('a caller without any key is refused with 401 "Missing authorization header"', async () => {
		const functions = new FunctionsClient(`${stack.url}/functions/v1`);
		const { data, error } = await functions.invoke('echo');
		expect(data).toBeNull();
		expect(await httpError(error)).toEqual({
			status: 401,
			body: { msg: 'Error: Missing authorization header' }
		});
	});

	test('a forged JWT is refused with 401 "Invalid JWT"', async () => {
		const { error } = await stack.client().functions.invoke('echo', {
			headers: { Authorization: `Bearer ${await forge()}` }
		});
		expect(await httpError(error)).toEqual({ status: 401, body: { msg: 'Invalid JWT' } });
	});

	test('an expired JWT is refused with 401 "Invalid JWT"', async () => {
		const expired = await signJwt({
			role: 'authenticated',
			sub: crypto.randomUUID(),
			exp: 1_000_000
		});
		const { error } = await stack.client().functions.invoke('echo', {
			headers: { Authorization: `Bearer ${expired}` }
		});
		expect(await httpError(error)).toEqual({ status: 401, body: { msg: 'Invalid JWT' } });
	});

	test('a user access token is accepted and reaches the function as sent', async () => {
		const token = await signJwt({
			role: 'authenticated',
			sub: crypto.randomUUID(),
			exp: Math.floor(Date.now() / 1000) + 3600
		});
		const { data, error } = await stack.client().functions.invoke<Echo>('echo', {
			headers: { Authorization: `Bearer ${token}` }
		});
		expect(error).toBeNull();
		expect(data?.headers.authorization).toBe(`Bearer ${token}`);
	});

	test('the service role key is accepted', async () => {
		const { data, error } = await stack.client(SERVICE_ROLE_KEY).functions.invoke<Echo>('echo');
		expect(error).toBeNull();
		expect(data?.headers.authorization).toBe(`Bearer ${SERVICE_ROLE_KEY}`);
	});

	test('the publishable and secret keys are accepted and reach the function as their JWTs', async () => {
		const publishable = await stack.client(PUBLISHABLE_KEY).functions.invoke<Echo>('echo');
		expect(publishable.error).toBeNull();
		expect(publishable.data?.headers.apikey).toBe(PUBLISHABLE_KEY);
		expect(publishable.data?.headers.authorization).toBe(`Bearer ${ANON_KEY}`);
		const secret = await stack.client(SECRET_KEY).functions.invoke<Echo>('echo');
		expect(secret.error).toBeNull();
		expect(secret.data?.headers.authorization).toBe(`Bearer ${SERVICE_ROLE_KEY}`);
	});

	test('an unknown publishable key is refused with 401 "Invalid JWT"', async () => {
		const { error } = await stack
			.client('sb_publishable_not-a-key-of-this-stack')
			.functions.invoke('echo');
		expect(await httpError(error)).toEqual({ status: 401, body: { msg: 'Invalid JWT' } });
	});

	test('a function with verify_jwt = false accepts callers without a key and with a forged JWT', async () => {
		const anonymous = await new FunctionsClient(`${stack.url}/functions/v1`).invoke<Echo>(
			'public-echo',
			{
				body: 'hi'
			}
		);
		expect(anonymous.error).toBeNull();
		expect(anonymous.data?.body).toBe('hi');
		const forged = await stack.client().functions.invoke<Echo>('public-echo', {
			headers: { Authorization: `Bearer ${await forge()}` }
		});
		expect(forged.error).toBeNull();
	});

	test('OPTIONS reaches the function without any key', async () => {
		const response = await fetch(`${stack.url}/functions/v1/echo`, {
			method: 'OPTIONS',
			headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' }
		});
		expect(response.status).toBe(200);
		expect(((await response.json()) as Echo).method).toBe('OPTIONS');
	});
});

describe('environment', () => {
	test('the Supabase variables reach the function with the stack values', async () => {
		const { data } = await stack.client().functions.invoke<Echo>('echo');
		expect(data?.supabaseUrl).toBe(stack.url);
		const digests = data!.secretDigests;
		expect(digests.SUPABASE_ANON_KEY).toBe(sha256(ANON_KEY));
		expect(digests.SUPABASE_SERVICE_ROLE_KEY).toBe(sha256(SERVICE_ROLE_KEY));
		expect(digests.SUPABASE_PUBLISHABLE_KEYS).toBe(
			sha256(JSON.stringify({ default: PUBLISHABLE_KEY }))
		);
		expect(digests.SUPABASE_SECRET_KEYS).toBe(sha256(JSON.stringify({ default: SECRET_KEY })));
	});

	test('SUPABASE_DB_URL names the database on PostgreSQL and is unset on PGlite', async () => {
		const { data } = await stack.client().functions.invoke<Echo>('echo');
		expect(data?.secretDigests.SUPABASE_DB_URL).toBe(databaseUrl ? sha256(databaseUrl) : null);
	});

	test('secrets from functions/.env and from the stack options reach the function', async () => {
		const { data } = await stack.client().functions.invoke<Echo>('echo');
		expect(data?.secretDigests.FIXTURE_DOTENV_SECRET).toBe(
			sha256('value from the functions .env file')
		);
		expect(data?.secretDigests.FIXTURE_OPTION_SECRET).toBe(sha256(optionSecret));
	});

	test("the host's own environment does not leak into functions", async () => {
		const { data } = await stack.client().functions.invoke<Echo>('echo');
		expect(data?.hostOnlyVariable).toBeNull();
	});
});

describe('failures', () => {
	test('a crashed function answers 500 WORKER_ERROR and the next request runs a fresh worker', async () => {
		const crash = stack.client().functions;
		const before = await crash.invoke<{ pid: number }>('crash', { method: 'GET' });
		expect(before.error).toBeNull();
		const crashed = await crash.invoke('crash?exit=1', { method: 'GET' });
		expect(await httpError(crashed.error)).toEqual({
			status: 500,
			body: { code: 'WORKER_ERROR', message: 'Function exited due to an error (please check logs)' }
		});
		const after = await crash.invoke<{ pid: number }>('crash', { method: 'GET' });
		expect(after.error).toBeNull();
		expect(after.data?.pid).not.toBe(before.data?.pid);
	});

	test('a function that throws while loading answers 503 BOOT_ERROR, every time', async () => {
		for (let attempt = 0; attempt < 2; attempt++) {
			const { error } = await stack.client().functions.invoke('broken');
			expect(await httpError(error)).toEqual({
				status: 503,
				body: { code: 'BOOT_ERROR', message: 'Worker failed to boot (please check logs)' }
			});
		}
	});
});
