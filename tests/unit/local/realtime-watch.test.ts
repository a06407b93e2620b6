/**
 * The fan-out process's hub tells the stack which topics have channels, and a join waits until
 * the stack has heard, so nothing committed after the join is answered is dropped on the way.
 */
import { expect, it } from 'vitest';
import {
	RealtimeHub,
	type Channel,
	type ChannelSocket
} from '../../../supabase/local/realtime/hub.ts';

/** A watch source the test answers by hand; it records what it was told. */
function watchSource() {
	const told: string[] = [];
	const pending: Array<() => void> = [];
	const watchTopic = (name: string, isPrivate: boolean, watch: boolean) => {
		told.push(`${watch ? 'watch' : 'unwatch'} ${isPrivate ? 'private' : 'public'}:${name}`);
		return watch ? new Promise<void>((resolve) => pending.push(resolve)) : Promise.resolve();
	};
	return { told, pending, watchTopic };
}

function channelOn(name: string, isPrivate = false): Channel {
	const connection: ChannelSocket = {
		vsn: '1.0.0',
		channels: new Map(),
		send() {},
		push() {}
	};
	return {
		connection,
		topic: `realtime:${name}`,
		name,
		isPrivate,
		joinRef: '1',
		self: false,
		ack: false,
		presenceKey: 'k',
		presenceEnabled: false,
		token: 't',
		claims: {}
	} as Channel;
}

const refuse = () => Promise.reject(new Error('no database here'));
/** Lets every callback already due run (promise reactions and I/O), without waiting on a clock. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** A join of `name` whose watch the source answers at once. */
async function joinAnswered(
	hub: RealtimeHub,
	source: ReturnType<typeof watchSource>,
	name: string,
	isPrivate = false
): Promise<void> {
	const joining = hub.watch(name, isPrivate);
	source.pending.shift()!();
	await joining;
}

it('a join waits until the source has heard of the topic; joins meanwhile share the one watch', async () => {
	const source = watchSource();
	const hub = new RealtimeHub(refuse, source.watchTopic);
	const settled: string[] = [];
	const first = hub.watch('room', false).then(() => settled.push('first'));
	const second = hub.watch('room', false).then(() => settled.push('second'));
	await turn();
	expect(source.told).toEqual(['watch public:room']);
	expect(settled).toEqual([]);
	source.pending.shift()!();
	await Promise.all([first, second]);
	expect(settled).toEqual(['first', 'second']);
	// A topic already watched is joined at once, without telling the source again.
	await hub.watch('room', false);
	expect(source.told).toEqual(['watch public:room']);
});

it('the last channel leaving ends the watch; the next join asks again', async () => {
	const source = watchSource();
	const hub = new RealtimeHub(refuse, source.watchTopic);
	await joinAnswered(hub, source, 'room', true);
	const channel = channelOn('room', true);
	hub.add(channel);
	hub.remove(channel);
	expect(source.told).toEqual(['watch private:room', 'unwatch private:room']);
	const again = hub.watch('room', true);
	await turn();
	expect(source.told).toHaveLength(3);
	expect(source.told[2]).toBe('watch private:room');
	source.pending.shift()!();
	await again;
});

it('the last channel leaving while another join is under way keeps the watch for it', async () => {
	const source = watchSource();
	const hub = new RealtimeHub(refuse, source.watchTopic);
	await joinAnswered(hub, source, 'room');
	const channel = channelOn('room');
	hub.add(channel);
	// A second join is under way when the only channel leaves: the watch stays for it.
	const second = hub.watch('room', false);
	hub.remove(channel);
	await second;
	hub.add(channelOn('room'));
	expect(source.told).toEqual(['watch public:room']);
});

it('one of two joins waiting on a watch is abandoned: the other still gets the watch', async () => {
	const source = watchSource();
	const hub = new RealtimeHub(refuse, source.watchTopic);
	const abandoned = hub.watch('room', false);
	const kept = hub.watch('room', false);
	source.pending.shift()!();
	await Promise.all([abandoned, kept]);
	// The first join's socket closed meanwhile; the second is added after it gives up.
	hub.unwatchIfUnused('room', false);
	hub.add(channelOn('room'));
	expect(source.told).toEqual(['watch public:room']);
});

it('an abandoned join ends a watch no channel uses, and leaves one in use alone', async () => {
	const source = watchSource();
	const hub = new RealtimeHub(refuse, source.watchTopic);
	await joinAnswered(hub, source, 'gone');
	hub.unwatchIfUnused('gone', false);
	expect(source.told).toEqual(['watch public:gone', 'unwatch public:gone']);

	await joinAnswered(hub, source, 'kept');
	hub.add(channelOn('kept'));
	hub.unwatchIfUnused('kept', false);
	expect(source.told.at(-1)).toBe('watch public:kept');
});

it('without a source every topic is joined at once', async () => {
	const hub = new RealtimeHub(refuse);
	await expect(hub.watch('room', false)).resolves.toBeUndefined();
});
