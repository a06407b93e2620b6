import { FunctionsHttpError, type RealtimeChannel } from '@supabase/supabase-js';
import type { Actor } from '../db/support.ts';
import type { TestClient, TestStack } from './stack.ts';

// What suites do with supabase-js as a person would: sign in, call a function, join a channel
// and wait for what it receives.

/** A client signed in as a user made by createUser (password `secret-password`), realtime included. */
export async function signedIn(stack: TestStack, actor: Actor): Promise<TestClient> {
	const client = stack.client();
	const { data, error } = await client.auth.signInWithPassword({
		email: actor.email!,
		password: 'secret-password'
	});
	if (error) throw error;
	await client.realtime.setAuth(data.session.access_token);
	return client;
}

/** A function's answer: HTTP status and parsed JSON body. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read ad-hoc JSON
export interface Answer<Body = any> {
	status: number;
	body: Body;
}

/** Calls a function route as the client's user; errors are answers too, not exceptions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read ad-hoc JSON
export async function callFunction<Body = any>(
	client: TestClient,
	path: string,
	method: 'GET' | 'POST' | 'PATCH' | 'DELETE' = 'POST',
	body?: unknown
): Promise<Answer<Body>> {
	const { data, error, response } = await client.functions.invoke(path, {
		method,
		...(body === undefined ? {} : { body: body as Record<string, unknown> })
	});
	if (error) {
		if (!(error instanceof FunctionsHttpError)) throw error;
		const context = error.context as Response;
		return { status: context.status, body: JSON.parse(await context.text()) };
	}
	return { status: response?.status ?? 200, body: data as Body };
}

/** Resolves when a channel reaches SUBSCRIBED; rejects with the server's reason otherwise. */
export function subscribed(channel: RealtimeChannel): Promise<void> {
	return new Promise((resolve, reject) => {
		channel.subscribe((status, error) => {
			if (status === 'SUBSCRIBED') resolve();
			else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') {
				// The client would keep rejoining a refused channel; stop it.
				void channel.unsubscribe();
				reject(error ?? new Error(status));
			}
		});
	});
}

/** Collects what a listener receives and lets a test wait for the n-th item. */
export class Inbox<T> {
	readonly items: T[] = [];
	private waiters: { count: number; resolve: () => void }[] = [];
	private read = 0;

	readonly push = (item: T): void => {
		this.items.push(item);
		this.waiters = this.waiters.filter((waiter) => {
			if (this.items.length < waiter.count) return true;
			waiter.resolve();
			return false;
		});
	};

	/** The next item not yet read, waiting for it if it has not arrived. */
	async next(): Promise<T> {
		const count = ++this.read;
		if (this.items.length < count)
			await new Promise<void>((resolve) => this.waiters.push({ count, resolve }));
		return this.items[count - 1];
	}
}
