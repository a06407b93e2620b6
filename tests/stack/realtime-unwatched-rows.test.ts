/**
 * Broadcast rows for topics nobody has open are never read: the notification names the topic, and
 * the reader asks its target whether anyone wants it. A topic too long to name is read as before.
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

it('rows for unwanted topics are skipped; a topic too long to name is read and handed on', async () => {
	const received: { topic: string; isPrivate: boolean; body: unknown }[] = [];
	let onReceived = () => {};
	const asked: string[] = [];
	const stop = await deliverDatabaseBroadcasts(stack.db, {
		wants(topic, isPrivate) {
			asked.push(`${isPrivate ? 'private' : 'public'}:${topic.slice(0, 12)}`);
			return topic === 'wanted';
		},
		broadcast(topic, isPrivate, _event, body) {
			received.push({ topic, isPrivate, body });
			onReceived();
		},
		resyncAll() {}
	});
	try {
		const long = `long-${'x'.repeat(5000)}`;
		const send = (n: number, topic: string, isPrivate: boolean) =>
			stack.db.query(`select realtime.send(jsonb_build_object('n', $1::int), 'note', $2, $3)`, [
				n,
				topic,
				isPrivate
			]);
		await send(1, 'unwanted', false);
		await send(2, 'wanted', true);
		await send(3, long, false);
		await send(4, 'wanted', false);
		await new Promise<void>((resolve) => {
			onReceived = () => received.length >= 3 && resolve();
			onReceived();
		});
		expect(asked).toEqual(['public:unwanted', 'private:wanted', 'public:wanted']);
		expect(
			received.map(({ topic, isPrivate, body }) => [
				topic.slice(0, 12),
				isPrivate,
				(JSON.parse((body as { json: string }).json) as { n: number }).n
			])
		).toEqual([
			['wanted', true, 2],
			['long-xxxxxxx', false, 3],
			['wanted', false, 4]
		]);
	} finally {
		await stop();
	}
});
