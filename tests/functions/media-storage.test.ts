import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEMO_CREDENTIALS, type Sandbox } from '../../sandbox/index.ts';
import type { TestStack } from '../support/stack.ts';
import {
	connectDemoNumbers,
	createTeam,
	startPipelineStack,
	type PipelineStack,
	type Team
} from '../support/webhooks.ts';

// Inbound attachments are copied into Storage after the webhook answers, so they still open once
// the provider has forgotten them, for the tenant's members only; Twilio's CDN never sees the
// account's credentials, and its brief 404 right after the webhook is waited out.

const metaDemo = DEMO_CREDENTIALS.meta;

let pipeline: PipelineStack;
let sandbox: Sandbox;
let stack: TestStack;
let functionsUrl: string;
let team: Team;
let outsiders: Team;
let customerCount = 0;

beforeAll(async () => {
	pipeline = await startPipelineStack();
	({ sandbox, stack, functionsUrl } = pipeline);
	team = await createTeam(stack, 'media-kept');
	outsiders = await createTeam(stack, 'media-outsiders');
	await connectDemoNumbers(team);
}, 240_000);

afterAll(async () => {
	await pipeline?.close();
});

interface StoredMessage {
	id: string;
	tenant_id: string;
	conversation_id: string;
	media: { provider_ref: string; storage_path?: string } | null;
}

/** The message as stored, read past RLS. */
async function storedMessage(providerMessageId: string): Promise<StoredMessage> {
	const { rows } = await stack.db.query<StoredMessage>(
		'select id, tenant_id, conversation_id, media from public.messages where provider_message_id = $1',
		[providerMessageId]
	);
	expect(rows).toHaveLength(1);
	return rows[0];
}

/** Waits (bounded, polling the database) until the message's attachment is recorded as kept. */
async function keptPath(providerMessageId: string): Promise<string> {
	return vi.waitFor(
		async () => {
			const path = (await storedMessage(providerMessageId)).media?.storage_path;
			expect(path).toEqual(expect.any(String));
			return path!;
		},
		{ timeout: 30_000, interval: 100 }
	);
}

/** GET whatsapp-media/<id> as a signed-in member of a team. */
async function openMedia(who: Team['agent'], messageId: string): Promise<Response> {
	const { data } = await who.auth.getSession();
	return fetch(`${functionsUrl}/whatsapp-media/${messageId}`, {
		headers: { Authorization: `Bearer ${data.session!.access_token}` }
	});
}

/** A customer sends an image to one of the team's numbers; the webhook must have answered 200. */
async function customerSendsImage(provider: 'twilio' | 'meta', bytes: Buffer) {
	customerCount += 1;
	const { delivery } = await sandbox.sendCustomerMessage({
		provider,
		to: provider === 'twilio' ? '+15550100001' : metaDemo.phoneNumberId,
		from: `+52155990${String(customerCount).padStart(4, '0')}`,
		media: { contentType: 'image/png', dataBase64: bytes.toString('base64') }
	});
	expect(delivery.responseStatus, delivery.responseBody).toBe(200);
	if (provider === 'meta') {
		const message = (
			delivery.payload as {
				entry: { changes: { value: { messages: { id: string; image: { id: string } }[] } }[] }[];
			}
		).entry[0].changes[0].value.messages[0];
		return { providerMessageId: message.id, mediaId: message.image.id, deliveryId: delivery.id };
	}
	const form = delivery.payload as Record<string, string>;
	return {
		providerMessageId: form.MessageSid,
		mediaId: form.MediaUrl0.split('/').at(-1)!,
		deliveryId: delivery.id
	};
}

/** The requests for one Twilio attachment the sandbox has served. */
function twilioMediaRequests(mediaId: string) {
	return sandbox.requests({ provider: 'twilio', path: new RegExp(`/Media/${mediaId}$`) });
}

/**
 * A customer sends a Twilio image whose every fetch 404s until the copy has tried five times in
 * all and given up, leaving the message stored without a kept attachment; then Twilio serves it.
 */
async function imageWhoseCopyGaveUp(bytes: Buffer) {
	sandbox.configure({ twilioMediaNotFoundFirst: 1_000 });
	try {
		const sent = await customerSendsImage('twilio', bytes);
		const message = await storedMessage(sent.providerMessageId);
		expect(message.media?.provider_ref).toMatch(new RegExp(`/Media/${sent.mediaId}$`));
		await vi.waitFor(() => expect(twilioMediaRequests(sent.mediaId)).toHaveLength(5), {
			timeout: 30_000,
			interval: 100
		});
		expect((await storedMessage(sent.providerMessageId)).media?.storage_path).toBeUndefined();
		return sent;
	} finally {
		sandbox.configure({ twilioMediaNotFoundFirst: 0 });
	}
}

async function expectServed(response: Response, bytes: Buffer): Promise<void> {
	expect(response.status).toBe(200);
	expect(response.headers.get('content-type')).toBe('image/png');
	expect(response.headers.get('content-disposition')).toBe('inline');
	expect(response.headers.get('x-content-type-options')).toBe('nosniff');
	expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
	expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
}

describe('inbound media kept in Storage', () => {
	it('a Meta image is copied at ingest and still opens, for members only, after Meta forgot it', async () => {
		const bytes = randomBytes(300);
		const { providerMessageId, mediaId } = await customerSendsImage('meta', bytes);
		const path = await keptPath(providerMessageId);
		const message = await storedMessage(providerMessageId);
		expect(path).toBe(`${team.tenantId}/${message.conversation_id}/${message.id}/${mediaId}`);
		const kept = await stack
			.client(stack.serviceRoleKey)
			.storage.from('whatsapp-media')
			.download(path);
		expect(Buffer.from(await kept.data!.arrayBuffer()).equals(bytes)).toBe(true);

		sandbox.forgetMedia(mediaId);
		sandbox.clearRequests();
		await expectServed(await openMedia(team.agent, message.id), bytes);
		// Served from Storage: Meta was not asked.
		expect(sandbox.requests({ provider: 'meta' })).toEqual([]);

		const refused = await openMedia(outsiders.owner, message.id);
		expect(refused.status).toBe(404);
		await refused.body?.cancel();
	});

	it("a Twilio image is fetched past the CDN's first 404s, without credentials on the redirect, and opens after Twilio forgot it", async () => {
		sandbox.configure({ twilioMediaNotFoundFirst: 2 });
		sandbox.clearRequests();
		try {
			const bytes = randomBytes(200);
			const { providerMessageId, mediaId } = await customerSendsImage('twilio', bytes);
			const path = await keptPath(providerMessageId);
			const message = await storedMessage(providerMessageId);
			expect(path).toBe(`${team.tenantId}/${message.conversation_id}/${message.id}/${mediaId}`);

			const apiRequests = sandbox.requests({
				provider: 'twilio',
				path: new RegExp(`/Media/${mediaId}$`)
			});
			expect(apiRequests.map((request) => request.status)).toEqual([404, 404, 302]);
			expect(
				apiRequests.every((request) => request.headers.authorization?.startsWith('Basic '))
			).toBe(true);
			const cdnRequests = sandbox.requests({
				provider: 'media',
				path: `/_media/twilio/${mediaId}`
			});
			expect(cdnRequests.map((request) => request.status)).toEqual([200]);
			expect(cdnRequests[0].headers).not.toHaveProperty('authorization');

			sandbox.forgetMedia(mediaId);
			await expectServed(await openMedia(team.agent, message.id), bytes);
			const refused = await openMedia(outsiders.owner, message.id);
			expect(refused.status).toBe(404);
			await refused.body?.cancel();
		} finally {
			sandbox.configure({ twilioMediaNotFoundFirst: 0 });
		}
	});

	it('a copy that keeps failing loses no message; opening it later fetches it from the provider and keeps it', async () => {
		const bytes = randomBytes(100);
		const { providerMessageId, mediaId } = await imageWhoseCopyGaveUp(bytes);
		const message = await storedMessage(providerMessageId);
		await expectServed(await openMedia(team.agent, message.id), bytes);
		const path = await keptPath(providerMessageId);
		expect(path).toBe(`${team.tenantId}/${message.conversation_id}/${message.id}/${mediaId}`);
	});

	it('a message delivered again has the attachment its first delivery could not copy kept', async () => {
		const bytes = randomBytes(100);
		const sent = await imageWhoseCopyGaveUp(bytes);
		const mediaRequests = () => twilioMediaRequests(sent.mediaId);

		// Twilio delivers the same webhook again, as it does when it never heard the first answer.
		const again = await sandbox.redeliver(sent.deliveryId);
		expect(again?.responseStatus, again?.responseBody).toBe(200);
		const message = await storedMessage(sent.providerMessageId);
		const path = await keptPath(sent.providerMessageId);
		expect(path).toBe(`${team.tenantId}/${message.conversation_id}/${message.id}/${sent.mediaId}`);
		// Opened from Storage: the provider is not asked again.
		const asked = mediaRequests().length;
		await expectServed(await openMedia(team.agent, message.id), bytes);
		expect(mediaRequests()).toHaveLength(asked);
	});
});
