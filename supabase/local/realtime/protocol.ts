/**
 * Phoenix channel framing as realtime-js speaks it: vsn 1.0.0 (JSON objects) and vsn 2.0.0 (JSON
 * arrays, plus binary user broadcasts: kind 3 from the client, kind 4 to the client).
 */

export type Vsn = '1.0.0' | '2.0.0';

/** The protocol versions realtime-js can ask for with `?vsn=`. */
export const supportedVsns: readonly Vsn[] = ['1.0.0', '2.0.0'];

/** One Phoenix message, whatever the framing. */
export interface PhoenixMessage {
	joinRef: string | null;
	ref: string | null;
	topic: string;
	event: string;
	payload: unknown;
}

/** A user broadcast's body: JSON text, or raw bytes the client sent as an ArrayBuffer. */
export type BroadcastBody = { json: string } | { binary: Buffer };

/** A client's `broadcast` push, decoded from either framing. */
export interface ClientBroadcast {
	joinRef: string | null;
	ref: string | null;
	topic: string;
	event: string;
	body: BroadcastBody;
}

/** What one incoming frame holds. */
export type IncomingFrame =
	{ kind: 'message'; message: PhoenixMessage } | { kind: 'broadcast'; broadcast: ClientBroadcast };

/**
 * A websocket message ready to write: its bytes and whether it goes as a binary or a text frame.
 * Fan-out encodes one per topic and protocol version and writes the same bytes to every socket.
 */
export interface OutgoingFrame {
	readonly data: Buffer;
	readonly binary: boolean;
}

/** A text frame, converted to UTF-8 once however many sockets it is written to. */
export function textFrame(text: string): OutgoingFrame {
	return { data: Buffer.from(text, 'utf8'), binary: false };
}

/** Thrown for a frame that is not valid Phoenix; the socket answers by closing. */
export class FrameError extends Error {}

const USER_BROADCAST_PUSH = 3;
const USER_BROADCAST = 4;
const BINARY_ENCODING = 0;
const JSON_ENCODING = 1;

/** Decodes a websocket frame sent by a client speaking `vsn`. */
export function decodeFrame(data: Buffer, isBinary: boolean, vsn: Vsn): IncomingFrame {
	if (isBinary) {
		if (vsn !== '2.0.0') throw new FrameError('binary frames need vsn 2.0.0');
		return { kind: 'broadcast', broadcast: decodeUserBroadcastPush(data) };
	}
	let parsed: unknown;
	try {
		parsed = JSON.parse(data.toString('utf8'));
	} catch {
		throw new FrameError('the frame is not JSON');
	}
	const message = vsn === '2.0.0' ? messageFromArray(parsed) : messageFromObject(parsed);
	const broadcast = broadcastFromMessage(message);
	return broadcast ? { kind: 'broadcast', broadcast } : { kind: 'message', message };
}

function messageFromArray(parsed: unknown): PhoenixMessage {
	if (!Array.isArray(parsed) || parsed.length !== 5)
		throw new FrameError('expected [join_ref, ref, topic, event, payload]');
	const [joinRef, ref, topic, event, payload] = parsed as unknown[];
	return checked({ joinRef: refOf(joinRef), ref: refOf(ref), topic, event, payload });
}

function messageFromObject(parsed: unknown): PhoenixMessage {
	if (!parsed || typeof parsed !== 'object')
		throw new FrameError('expected {topic, event, payload, ref}');
	const object = parsed as Record<string, unknown>;
	return checked({
		joinRef: refOf(object.join_ref),
		ref: refOf(object.ref),
		topic: object.topic,
		event: object.event,
		payload: object.payload
	});
}

function refOf(value: unknown): string | null {
	if (value === null || value === undefined) return null;
	if (typeof value === 'string' || typeof value === 'number') return String(value);
	throw new FrameError('refs must be strings');
}

function checked(
	message: Omit<PhoenixMessage, 'topic' | 'event'> & { topic: unknown; event: unknown }
): PhoenixMessage {
	if (typeof message.topic !== 'string' || typeof message.event !== 'string') {
		throw new FrameError('topic and event must be strings');
	}
	return message as PhoenixMessage;
}

/** A JSON `broadcast` push (vsn 1, or vsn 2 when the client did not use the binary form). */
function broadcastFromMessage(message: PhoenixMessage): ClientBroadcast | undefined {
	if (message.event !== 'broadcast') return undefined;
	const payload = message.payload as { event?: unknown; payload?: unknown } | null;
	if (!payload || typeof payload.event !== 'string') return undefined;
	return {
		joinRef: message.joinRef,
		ref: message.ref,
		topic: message.topic,
		event: payload.event,
		body: { json: JSON.stringify(payload.payload ?? {}) }
	};
}

function decodeUserBroadcastPush(data: Buffer): ClientBroadcast {
	if (data.length < 7 || data[0] !== USER_BROADCAST_PUSH)
		throw new FrameError('only kind 3 binary frames are accepted');
	const [joinRefLength, refLength, topicLength, eventLength, metaLength, encoding] = data.subarray(
		1,
		7
	);
	let offset = 7;
	const take = (length: number) => {
		if (offset + length > data.length)
			throw new FrameError('the binary frame is shorter than its header says');
		const part = data.subarray(offset, offset + length);
		offset += length;
		return part;
	};
	const joinRef = take(joinRefLength).toString('utf8');
	const ref = take(refLength).toString('utf8');
	const topic = take(topicLength).toString('utf8');
	const event = take(eventLength).toString('utf8');
	take(metaLength);
	const payload = data.subarray(offset);
	let body: BroadcastBody;
	if (encoding === JSON_ENCODING) {
		const json = payload.toString('utf8');
		try {
			JSON.parse(json);
		} catch {
			throw new FrameError('the broadcast payload is not JSON');
		}
		body = { json };
	} else {
		body = { binary: Buffer.from(payload) };
	}
	return { joinRef: joinRef || null, ref: ref || null, topic, event, body };
}

/** Encodes a Phoenix message for a client speaking `vsn` (vsn 1 has no join_ref on the wire). */
export function encodeMessage(vsn: Vsn, message: PhoenixMessage): string {
	if (vsn === '2.0.0') {
		return JSON.stringify([
			message.joinRef,
			message.ref,
			message.topic,
			message.event,
			message.payload
		]);
	}
	return JSON.stringify({
		topic: message.topic,
		event: message.event,
		payload: message.payload,
		ref: message.ref
	});
}

/**
 * Encodes a user broadcast for delivery: kind 4 binary in vsn 2 (JSON text when a header field is
 * too long for one length byte), JSON text in vsn 1. Returns undefined when vsn 1 cannot carry it
 * (a binary body).
 */
export function encodeUserBroadcast(
	vsn: Vsn,
	topic: string,
	event: string,
	body: BroadcastBody,
	meta?: Record<string, unknown>
): OutgoingFrame | undefined {
	const metaJson = meta ? JSON.stringify(meta) : '';
	if (vsn === '2.0.0') {
		const topicBytes = Buffer.from(topic, 'utf8');
		const eventBytes = Buffer.from(event, 'utf8');
		const metaBytes = Buffer.from(metaJson, 'utf8');
		if (topicBytes.length <= 255 && eventBytes.length <= 255 && metaBytes.length <= 255) {
			const payloadBytes = 'json' in body ? Buffer.from(body.json, 'utf8') : body.binary;
			const header = Buffer.from([
				USER_BROADCAST,
				topicBytes.length,
				eventBytes.length,
				metaBytes.length,
				'json' in body ? JSON_ENCODING : BINARY_ENCODING
			]);
			return {
				data: Buffer.concat([header, topicBytes, eventBytes, metaBytes, payloadBytes]),
				binary: true
			};
		}
	}
	if (!('json' in body)) return undefined;
	// Built as text so a large payload is not parsed and serialized again for every frame.
	const envelope =
		`{"type":"broadcast","event":${JSON.stringify(event)}` +
		(metaJson ? `,"meta":${metaJson}` : '') +
		`,"payload":${body.json}}`;
	return textFrame(
		vsn === '2.0.0'
			? `[null,null,${JSON.stringify(topic)},"broadcast",${envelope}]`
			: `{"topic":${JSON.stringify(topic)},"event":"broadcast","payload":${envelope},"ref":null}`
	);
}
