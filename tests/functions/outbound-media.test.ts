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

// Agents attach files: checked against the provider's limits before anything is stored, kept in
// Storage under the conversation's tenant, sent by a signed URL the provider really fetches, shown
// in the thread through whatsapp-media to members only, and sent again from the same file on retry.

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
	team = await createTeam(stack, 'attachments-sent');
	outsiders = await createTeam(stack, 'attachments-outsiders');
	await connectDemoNumbers(team);
}, 240_000);

afterAll(async () => {
	await pipeline?.close();
});

interface SentMessage {
	id: string;
	type: string;
	body: string | null;
	status: string;
	provider_message_id: string | null;
	error_message: string | null;
	media: {
		mime_type: string;
		filename: string;
		caption?: string;
		size: number;
		storage_path?: string;
	} | null;
}

/** A customer writes, so the 24-hour window is open; returns the conversation id. */
async function customerWrites(provider: 'twilio' | 'meta'): Promise<{ conversationId: string }> {
	customerCount += 1;
	const phone = `+52155880${String(customerCount).padStart(4, '0')}`;
	const { delivery } = await sandbox.sendCustomerMessage({
		provider,
		to: provider === 'twilio' ? '+15550100001' : metaDemo.phoneNumberId,
		from: phone,
		text: 'Can you send me the details?'
	});
	expect(delivery.responseStatus, delivery.responseBody).toBe(200);
	const { rows } = await stack.db.query<{ id: string }>(
		`select c.id from public.conversations c join public.contacts k on k.id = c.contact_id
		 where k.wa_id = $1 and c.tenant_id = $2`,
		[phone.slice(1), team.tenantId]
	);
	expect(rows).toHaveLength(1);
	return { conversationId: rows[0].id };
}

async function accessToken(who: Team['agent']): Promise<string> {
	const { data } = await who.auth.getSession();
	return data.session!.access_token;
}

/** POSTs a file to whatsapp-send as the composer does (multipart), as this person. */
async function sendFile(
	who: Team['agent'],
	conversationId: string,
	file: File,
	caption?: string
): Promise<{ status: number; body: SentMessage & { code?: string; message?: string } }> {
	const form = new FormData();
	form.set('conversationId', conversationId);
	if (caption !== undefined) form.set('text', caption);
	form.set('file', file);
	const response = await fetch(`${functionsUrl}/whatsapp-send`, {
		method: 'POST',
		headers: { Authorization: `Bearer ${await accessToken(who)}` },
		body: form
	});
	return { status: response.status, body: await response.json() };
}

async function openMedia(who: Team['agent'], messageId: string): Promise<Response> {
	return fetch(`${functionsUrl}/whatsapp-media/${messageId}`, {
		headers: { Authorization: `Bearer ${await accessToken(who)}` }
	});
}

async function messagesIn(conversationId: string): Promise<SentMessage[]> {
	const { rows } = await stack.db.query<SentMessage>(
		`select id, type, body, status, provider_message_id, error_message, media
		 from public.messages where conversation_id = $1 and direction = 'outbound'`,
		[conversationId]
	);
	return rows;
}

/** What the provider fetched from the URL it was given for the message's file. */
function fetchedBy(providerMessageId: string) {
	const held = sandbox.message(providerMessageId);
	expect(held?.media).toHaveLength(1);
	return { url: held!.media[0].url, fetched: held!.media[0].fetched };
}

describe('agents send attachments', () => {
	it('an image with a caption goes to a Meta customer by a link Meta fetches, and opens for members only', async () => {
		const { conversationId } = await customerWrites('meta');
		const bytes = randomBytes(2_000);
		sandbox.clearRequests();
		const sent = await sendFile(
			team.agent,
			conversationId,
			new File([bytes], 'receipt photo.png', { type: 'image/png' }),
			'Here is your receipt'
		);
		expect(sent.status, JSON.stringify(sent.body)).toBe(200);
		expect(sent.body).toMatchObject({
			type: 'image',
			body: 'Here is your receipt',
			status: expect.stringMatching(/^(queued|sent|delivered)$/),
			media: {
				mime_type: 'image/png',
				filename: 'receipt photo.png',
				caption: 'Here is your receipt',
				size: 2_000
			}
		});
		const path = sent.body.media!.storage_path!;
		expect(path).toBe(`${team.tenantId}/${conversationId}/${sent.body.id}/receipt_photo.png`);

		const [graphSend] = sandbox.requests({ provider: 'meta', path: /\/messages$/ });
		const payload = graphSend.body as { type: string; image: { link: string; caption: string } };
		expect(payload.type).toBe('image');
		expect(payload.image.caption).toBe('Here is your receipt');
		const { url, fetched } = fetchedBy(sent.body.provider_message_id!);
		expect(url).toBe(payload.image.link);
		expect(url).toContain('/storage/v1/object/sign/whatsapp-media/');
		expect(fetched).toMatchObject({ status: 200, contentType: 'image/png', bytes: 2_000 });
		expect(fetched!.data!.equals(bytes)).toBe(true);

		const opened = await openMedia(team.agent, sent.body.id);
		expect(opened.status).toBe(200);
		expect(opened.headers.get('content-type')).toBe('image/png');
		expect(opened.headers.get('content-disposition')).toMatch(/^inline/);
		expect(Buffer.from(await opened.arrayBuffer()).equals(bytes)).toBe(true);
		const refused = await openMedia(outsiders.owner, sent.body.id);
		expect(refused.status).toBe(404);
		await refused.body?.cancel();
	});

	it('a PDF goes to a Twilio customer as a MediaUrl Twilio fetches, and opens only as a download', async () => {
		const { conversationId } = await customerWrites('twilio');
		const bytes = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(3_000)]);
		sandbox.clearRequests();
		const sent = await sendFile(
			team.agent,
			conversationId,
			new File([bytes], 'Invoice 42.pdf', { type: 'application/pdf' })
		);
		expect(sent.status, JSON.stringify(sent.body)).toBe(200);
		expect(sent.body).toMatchObject({
			type: 'document',
			body: null,
			media: { mime_type: 'application/pdf', filename: 'Invoice 42.pdf' }
		});

		const [twilioSend] = sandbox.requests({ provider: 'twilio', path: /\/Messages\.json$/ });
		const form = twilioSend.body as { MediaUrl: string; Body?: string };
		expect(form.Body).toBeUndefined();
		const { url, fetched } = fetchedBy(sent.body.provider_message_id!);
		expect(url).toBe(form.MediaUrl);
		expect(fetched).toMatchObject({ status: 200, contentType: 'application/pdf' });
		expect(fetched!.data!.equals(bytes)).toBe(true);

		const opened = await openMedia(team.agent, sent.body.id);
		expect(opened.status).toBe(200);
		expect(opened.headers.get('content-type')).toBe('application/octet-stream');
		expect(opened.headers.get('content-disposition')).toMatch(
			/^attachment; filename="Invoice 42.pdf"/
		);
		expect(Buffer.from(await opened.arrayBuffer()).equals(bytes)).toBe(true);
		const refused = await openMedia(outsiders.agent, sent.body.id);
		expect(refused.status).toBe(404);
		await refused.body?.cancel();
	});

	it('a file too large or of a type WhatsApp refuses is turned away in words; nothing is stored or sent', async () => {
		const meta = await customerWrites('meta');
		const twilio = await customerWrites('twilio');
		sandbox.clearRequests();

		const large = await sendFile(
			team.agent,
			meta.conversationId,
			new File([new Uint8Array(6 * 1024 * 1024)], 'big.png', { type: 'image/png' })
		);
		expect(large.status).toBe(413);
		expect(large.body.message).toBe('Images can be at most 5 MB on WhatsApp; this one is 6 MB.');

		const page = await sendFile(
			team.agent,
			meta.conversationId,
			new File(['<script>alert(1)</script>'], 'offer.html', { type: 'text/html' })
		);
		expect(page.status).toBe(415);
		expect(page.body.message).toMatch(
			/^WhatsApp cannot send “offer\.html” \(text\/html\)\. Attach /
		);

		const captioned = await sendFile(
			team.agent,
			twilio.conversationId,
			new File(['%PDF-1.7'], 'terms.pdf', { type: 'application/pdf' }),
			'Our terms'
		);
		expect(captioned.status).toBe(400);
		expect(captioned.body.message).toBe(
			'Twilio sends no text with a document on WhatsApp. Send the text as its own message.'
		);

		expect(await messagesIn(meta.conversationId)).toEqual([]);
		expect(await messagesIn(twilio.conversationId)).toEqual([]);
		expect(sandbox.requests({ provider: 'meta', method: 'POST' })).toEqual([]);
		expect(sandbox.requests({ provider: 'twilio', method: 'POST' })).toEqual([]);
		const service = stack.client(stack.serviceRoleKey).storage.from('whatsapp-media');
		for (const { conversationId } of [meta, twilio]) {
			const listed = await service.list(`${team.tenantId}/${conversationId}`);
			expect(listed.error).toBeNull();
			expect(listed.data).toEqual([]);
		}
	});

	it('an outsider cannot send into the conversation, and nothing is stored', async () => {
		const { conversationId } = await customerWrites('meta');
		const sent = await sendFile(
			outsiders.owner,
			conversationId,
			new File([randomBytes(100)], 'photo.jpg', { type: 'image/jpeg' })
		);
		expect(sent.status).toBe(404);
		expect(await messagesIn(conversationId)).toEqual([]);
	});

	it('a send that failed is sent again from the same kept file; one whose file is gone fails in words', async () => {
		const { conversationId } = await customerWrites('meta');
		const { rows } = await stack.db.query<{ wa_id: string }>(
			`select k.wa_id from public.conversations c join public.contacts k on k.id = c.contact_id
			 where c.id = $1`,
			[conversationId]
		);
		const phone = `+${rows[0].wa_id}`;
		const bytes = randomBytes(500);
		sandbox.setUnreachable(phone);
		const sent = await sendFile(
			team.agent,
			conversationId,
			new File([bytes], 'map.jpg', { type: 'image/jpeg' })
		);
		expect(sent.status).toBe(200);
		const failed = await vi.waitFor(
			async () => {
				const [message] = await messagesIn(conversationId);
				expect(message.status).toBe('failed');
				return message;
			},
			{ timeout: 15_000, interval: 50 }
		);
		sandbox.setUnreachable(phone, false);

		const retried = await fetch(`${functionsUrl}/whatsapp-send`, {
			method: 'POST',
			headers: {
				Authorization: `Bearer ${await accessToken(team.agent)}`,
				'Content-Type': 'application/json'
			},
			body: JSON.stringify({ messageId: failed.id })
		});
		const again = (await retried.json()) as SentMessage;
		expect(retried.status).toBe(200);
		expect(again.id).toBe(failed.id);
		expect(again.provider_message_id).not.toBe(sent.body.provider_message_id);
		const { fetched } = fetchedBy(again.provider_message_id!);
		expect(fetched).toMatchObject({ status: 200, contentType: 'image/jpeg' });
		expect(fetched!.data!.equals(bytes)).toBe(true);

		// The kept file is removed: a retry cannot send it, and says so. (Every status of the
		// resend has arrived first, so none of them lifts the failure set here.)
		await sandbox.settled();
		await stack.db.query(
			`update public.messages set status = 'failed', error_message = 'Lost' where id = $1`,
			[failed.id]
		);
		const removed = await stack
			.client(stack.serviceRoleKey)
			.storage.from('whatsapp-media')
			.remove([failed.media!.storage_path!]);
		expect(removed.error).toBeNull();
		const lost = await fetch(`${functionsUrl}/whatsapp-send`, {
			method: 'POST',
			headers: {
				Authorization: `Bearer ${await accessToken(team.agent)}`,
				'Content-Type': 'application/json'
			},
			body: JSON.stringify({ messageId: failed.id })
		});
		expect(lost.status).toBe(200);
		expect(await lost.json()).toMatchObject({
			status: 'failed',
			error_message:
				'The attachment is no longer stored, so it cannot be sent. Attach the file again in a new message.'
		});
	});
});
