/**
 * The REST suites' shared world: a stack with the PostgREST fixture schema loaded, and clients for
 * anon, the service role and two users, Alice and Bob.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, vi } from 'vitest';
import type { SupabaseClient } from '@supabase/supabase-js';
import { startTestStack, type TestStack } from '../support/stack.ts';
import {
	clientWithToken as withToken,
	loadRestFixture,
	userToken as tokenFor
} from '../fixtures/rest/clients.ts';

/** What the suite's beforeAll started. */
export interface RestWorld {
	stack: TestStack;
	anon: SupabaseClient;
	service: SupabaseClient;
	asAlice: SupabaseClient;
	asBob: SupabaseClient;
}

/** Registers the suite's hooks (the stack and its clients before all, closing after all). */
export function useRestStack() {
	const alice = randomUUID();
	const bob = randomUUID();
	let started: RestWorld | undefined;
	const world = (): RestWorld => {
		if (!started) throw new Error('the REST stack is used before its beforeAll started it');
		return started;
	};
	/** A client sending this JWT, as supabase-js does for a signed-in user. */
	const clientWithToken = (token: string) => withToken(world().stack, token);

	beforeAll(async () => {
		const stack = await startTestStack();
		await loadRestFixture(stack);
		// The fixture tables are not in the generated types: these clients are untyped, as the tests use them.
		const anon: SupabaseClient = stack.client();
		started = {
			stack,
			anon,
			service: stack.client(stack.serviceRoleKey),
			asAlice: withToken(stack, await tokenFor(alice)),
			asBob: withToken(stack, await tokenFor(bob))
		};
		// The schema cache reloads on NOTIFY; wait until it knows the fixture tables.
		await vi.waitFor(
			async () => expect((await anon.from('authors').select('id')).error).toBeNull(),
			{ timeout: 10_000 }
		);
	});
	afterAll(() => started?.stack.close());

	return {
		alice,
		bob,
		clientWithToken,
		get world(): RestWorld {
			return world();
		}
	};
}
