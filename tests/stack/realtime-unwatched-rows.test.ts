/**
 * The reader of broadcast rows: rows committed after it starts reach their topic once each, in the
 * order they were written, whether a request asked for a read or the timed read found them; rows
 * for topics nobody has open are not handed on; rows from before it started are not replayed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deliverDatabaseBroadcasts } from '../../supabase/local/realtime/database-broadcasts.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

let stack: TestStack;
beforeAll(async () => {
	stack = await startTestStack();
});
afterAll(async () => {
	await stack?.close();
});

const send = (n: number, topic: string, isPrivate: boolean) =>
	stack.db.query(`select realtime.send(jsonb_build_object('n', $1::int), 'note', $2, $3)`, [
		n,
		topic,
		isPrivate
	]);

it('hands on committed rows once, in write order, only for wanted topics', async () => {
	await send(0, 'wanted', false);
	const received: { topic: string; isPrivate: boolean; n: number; id?: string }[] = [];
	let onReceived = () => {};
	const asked: string[] = [];
	const delivery = await deliverDatabaseBroadcasts(stack.db, {
		wants(topic, isPrivate) {
			asked.push(`${isPrivate ? 'private' : 'public'}:${topic.slice(0, 12)}`);
			return topic !== 'unwanted';
		},
		broadcast(topic, isPrivate, _event, body, meta) {
			const { n } = JSON.parse((body as { json: string }).json) as { n: number };
			received.push({ topic: topic.slice(0, 12), isPrivate, n, id: meta?.id as string });
			onReceived();
		},
		resyncAll() {
			throw new Error('No read failed, so nobody should be told to resync.');
		}
	});
	const receivedAtLeast = (count: number) =>
		new Promise<void>((resolve) => {
			onReceived = () => received.length >= count && resolve();
			onReceived();
		});
	try {
		const long = `long-${'x'.repeat(5000)}`;
		await send(1, 'unwanted', false);
		await send(2, 'wanted', true);
		await send(3, long, false);
		// Several rows in one transaction keep their order.
		await stack.db.transaction(async (tx) => {
			for (const n of [4, 5, 6])
				await tx.query(
					`select realtime.send(jsonb_build_object('n', $1::int), 'note', 'wanted', false)`,
					[n]
				);
		});
		delivery.readSoon();
		await receivedAtLeast(5);
		// Found by a timed read: nothing asks.
		await send(7, 'wanted', false);
		await receivedAtLeast(6);
		// realtime.send takes the id from the payload, so two rows can share one: each keeps its body.
		for (const n of [8, 9])
			await stack.db.query(
				`insert into realtime.messages (id, topic, extension, event, private, payload, inserted_at)
				 values ('6f1c2d3e-0000-4000-8000-000000000001', 'wanted', 'broadcast', 'note', false,
				         jsonb_build_object('n', $1::int), now() - make_interval(secs => 10 - $1))`,
				[n]
			);
		await receivedAtLeast(8);

		expect(asked).toEqual([
			'public:unwanted',
			'private:wanted',
			'public:long-xxxxxxx',
			'public:wanted',
			'public:wanted',
			'public:wanted',
			'public:wanted',
			'public:wanted',
			'public:wanted'
		]);
		expect(received.map(({ topic, isPrivate, n }) => [topic, isPrivate, n])).toEqual([
			['wanted', true, 2],
			['long-xxxxxxx', false, 3],
			['wanted', false, 4],
			['wanted', false, 5],
			['wanted', false, 6],
			['wanted', false, 7],
			['wanted', false, 8],
			['wanted', false, 9]
		]);
		// The message id rides along, as Supabase's meta.id does.
		const { rows } = await stack.db.query<{ id: string }>(
			`select id::text from realtime.messages where topic = 'wanted' and (payload ->> 'n')::int = 7`
		);
		expect(received[5].id).toBe(rows[0].id);
	} finally {
		await delivery.stop();
	}
});
