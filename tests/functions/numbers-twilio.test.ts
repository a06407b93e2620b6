import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { Sandbox } from '../../sandbox/index.ts';
import type { TestStack } from '../support/stack.ts';
import { notOwnedMessage, twilioDemo, useNumbersStack, type Team } from './numbers-support.ts';

// The twilio-integration and whatsapp-numbers Edge Functions for Twilio against the provider
// sandbox, called through supabase-js as each role: connecting the account, its numbers, and what
// happens when Twilio stops accepting the stored token.

const numbers = useNumbersStack();
const { call, team, connectTwilio, ownPhone, ownTwilioAccount, whatsappAgent } = numbers;
let sandbox: Sandbox;
let stack: TestStack;
beforeAll(() => {
	({ sandbox, stack } = numbers);
});

describe('twilio-integration', () => {
	it('connects with good credentials, verified against Twilio, and shows the token only masked', async () => {
		const t = await team('twilio-good');
		sandbox.clearRequests();
		const { status, body } = await connectTwilio(t);
		expect(status).toBe(200);
		expect(body.integration).toMatchObject({
			tenantId: t.tenantId,
			provider: 'twilio',
			accountSid: twilioDemo.accountSid,
			accountName: twilioDemo.friendlyName,
			status: 'connected',
			lastError: null,
			authToken: `••••${twilioDemo.authToken.slice(-4)}`
		});
		expect(sandbox.requests({ provider: 'twilio' }).map((r) => r.path)).toContain(
			`/2010-04-01/Accounts/${twilioDemo.accountSid}.json`
		);
		const status2 = await call(t.admin, `twilio-integration/${t.tenantId}`);
		expect(status2.body.integration.status).toBe('connected');
	}, 120_000);

	it('bad credentials are refused with the 20003 sentence and nothing is saved', async () => {
		const t = await team('twilio-bad');
		const { status, body } = await call(t.owner, `twilio-integration/${t.tenantId}`, 'POST', {
			accountSid: twilioDemo.accountSid,
			authToken: 'wrong-token-000000000000000000'
		});
		expect(status).toBe(400);
		expect(body).toEqual({
			code: 'twilio_credentials_rejected',
			message:
				'Twilio rejected these credentials (error 20003). Check the Account SID and Auth Token.'
		});
		expect((await call(t.owner, `twilio-integration/${t.tenantId}`)).body).toEqual({
			integration: null
		});
	});

	it('an Account SID that is not AC + 32 hex characters is refused before asking Twilio', async () => {
		const t = await team('twilio-format');
		sandbox.clearRequests();
		const { status, body } = await call(t.owner, `twilio-integration/${t.tenantId}`, 'POST', {
			accountSid: 'SK123',
			authToken: 'x'
		});
		expect(status).toBe(400);
		expect(body.code).toBe('invalid_request');
		expect(body.message).toMatch(/^The Account SID starts with AC/);
		expect(sandbox.requests({ provider: 'twilio' })).toEqual([]);
	});

	it('the agent role and members of other tenants cannot see or change the integration', async () => {
		const t = await team('twilio-roles');
		const other = await team('twilio-roles-other');
		const asAgent = await call(t.agent, `twilio-integration/${t.tenantId}`, 'POST', {
			accountSid: twilioDemo.accountSid,
			authToken: twilioDemo.authToken
		});
		expect(asAgent).toEqual({
			status: 403,
			body: {
				code: 'forbidden',
				message: 'Only owners and admins can manage WhatsApp numbers and integrations.'
			}
		});
		expect((await call(t.agent, `twilio-integration/${t.tenantId}`)).status).toBe(403);
		expect((await call(other.owner, `twilio-integration/${t.tenantId}`)).body).toEqual({
			code: 'forbidden',
			message: 'You are not a member of this workspace.'
		});
		expect((await call(stack.client(), `twilio-integration/${t.tenantId}`)).status).toBe(401);
	});

	it('disconnecting is refused while Twilio numbers exist, and works once they are gone', async () => {
		const t = await team('twilio-disconnect');
		const phone = ownPhone();
		await ownTwilioAccount(t, [{ phoneNumber: phone }]);
		const number = await call(t.owner, `whatsapp-numbers/${t.tenantId}`, 'POST', {
			provider: 'twilio',
			displayName: 'Store',
			address: `whatsapp:${phone}`
		});
		expect(number.status).toBe(201);
		const refused = await call(t.owner, `twilio-integration/${t.tenantId}`, 'DELETE');
		expect(refused).toEqual({
			status: 409,
			body: {
				code: 'integration_in_use',
				message:
					'Twilio cannot be disconnected while 1 WhatsApp number uses it. Delete those numbers first.'
			}
		});
		expect(
			(await call(t.owner, `whatsapp-numbers/${t.tenantId}/${number.body.number.id}`, 'DELETE'))
				.status
		).toBe(200);
		expect(await call(t.owner, `twilio-integration/${t.tenantId}`, 'DELETE')).toEqual({
			status: 200,
			body: { disconnected: true }
		});
		expect((await call(t.owner, `twilio-integration/${t.tenantId}`)).body).toEqual({
			integration: null
		});
	});

	it('another Twilio account cannot replace the one whose numbers are connected here', async () => {
		const t = await team('twilio-switch');
		const phone = ownPhone();
		const first = await ownTwilioAccount(t, [{ phoneNumber: phone }]);
		const second = sandbox.addTwilioAccount({ friendlyName: 'Second account' });
		const number = await call(t.owner, `whatsapp-numbers/${t.tenantId}`, 'POST', {
			provider: 'twilio',
			displayName: 'Store',
			address: `whatsapp:${phone}`
		});
		expect(number.status).toBe(201);
		const switchTo = () =>
			call(t.owner, `twilio-integration/${t.tenantId}`, 'POST', {
				accountSid: second.sid,
				authToken: second.authToken
			});
		expect(await switchTo()).toEqual({
			status: 409,
			body: {
				code: 'integration_in_use',
				message: `1 WhatsApp number of the Twilio account ${first.sid} is connected here. Delete it before connecting another Twilio account, or reconnect ${first.sid}.`
			}
		});
		expect(
			(await call(t.owner, `twilio-integration/${t.tenantId}`)).body.integration.accountSid
		).toBe(first.sid);
		await call(t.owner, `whatsapp-numbers/${t.tenantId}/${number.body.number.id}`, 'DELETE');
		const switched = await switchTo();
		expect(switched.status).toBe(200);
		expect(switched.body.integration.accountSid).toBe(second.sid);
	});

	it('when Twilio later refuses the stored token, listing numbers says so and marks the integration failed', async () => {
		const t = await team('twilio-rotated');
		const rotatedSid = 'AC' + randomBytes(16).toString('hex');
		sandbox.addTwilioAccount({ sid: rotatedSid, authToken: 'first-token-1234567890' });
		const connected = await call(t.owner, `twilio-integration/${t.tenantId}`, 'POST', {
			accountSid: rotatedSid,
			authToken: 'first-token-1234567890'
		});
		expect(connected.status).toBe(200);
		sandbox.addTwilioAccount({ sid: rotatedSid, authToken: 'second-token-1234567890' });
		const listed = await call(t.owner, `whatsapp-numbers/${t.tenantId}/twilio-numbers`);
		expect(listed.status).toBe(400);
		expect(listed.body.code).toBe('twilio_credentials_rejected');
		const { body } = await call(t.owner, `twilio-integration/${t.tenantId}`);
		expect(body.integration).toMatchObject({ status: 'failed', lastError: listed.body.message });
		// Blank token with the same SID re-checks the stored one; a new token reconnects.
		expect(
			(
				await call(t.owner, `twilio-integration/${t.tenantId}`, 'POST', {
					accountSid: rotatedSid,
					authToken: ''
				})
			).status
		).toBe(400);
		const reconnected = await call(t.owner, `twilio-integration/${t.tenantId}`, 'POST', {
			accountSid: rotatedSid,
			authToken: 'second-token-1234567890'
		});
		expect(reconnected.body.integration).toMatchObject({
			status: 'connected',
			lastError: null,
			authToken: '••••7890'
		});
	});
});

describe('whatsapp-numbers: Twilio', () => {
	it('lists the Twilio account WhatsApp numbers live, marking the ones already connected here', async () => {
		const t = await team('list-numbers');
		await connectTwilio(t);
		sandbox.clearRequests();
		const before = await call(t.admin, `whatsapp-numbers/${t.tenantId}/twilio-numbers`);
		expect(before.status).toBe(200);
		expect(before.body.numbers).toEqual(
			twilioDemo.numbers.map((number) => ({
				address: `whatsapp:${number.phoneNumber}`,
				phoneNumber: number.phoneNumber,
				friendlyName: number.friendlyName,
				status: 'ONLINE',
				connectedNumberId: null
			}))
		);
		expect(sandbox.requests({ provider: 'twilio' }).map((r) => r.path)).toEqual([
			'/v2/Channels/Senders'
		]);
		const [first] = before.body.numbers;
		const connected = await call(t.admin, `whatsapp-numbers/${t.tenantId}`, 'POST', {
			provider: 'twilio',
			displayName: first.friendlyName,
			address: first.address
		});
		expect(connected.status).toBe(201);
		const after = await call(t.admin, `whatsapp-numbers/${t.tenantId}/twilio-numbers`);
		expect(after.body.numbers[0].connectedNumberId).toBe(connected.body.number.id);
		// The demo numbers are connected in this tenant now; free them for other tests.
		await call(t.admin, `whatsapp-numbers/${t.tenantId}/${connected.body.number.id}`, 'DELETE');
	});

	it('listing or connecting Twilio numbers before Twilio is connected gives a clear error', async () => {
		const t = await team('twilio-missing');
		const message =
			'Twilio is not connected to this workspace. Connect it under Integrations first.';
		expect(await call(t.owner, `whatsapp-numbers/${t.tenantId}/twilio-numbers`)).toEqual({
			status: 409,
			body: { code: 'twilio_not_connected', message }
		});
		expect(
			await call(t.owner, `whatsapp-numbers/${t.tenantId}`, 'POST', {
				provider: 'twilio',
				displayName: 'X',
				address: 'whatsapp:+14155238886'
			})
		).toEqual({ status: 409, body: { code: 'twilio_not_connected', message } });
	});

	it('connects a number entered by hand, active with a WhatsApp agent, with its webhook URL', async () => {
		const t = await team('manual-entry');
		// An incoming number of the account that is no WhatsApp sender: the dropdown misses it.
		const phone = ownPhone();
		await ownTwilioAccount(t, [{ phoneNumber: phone, whatsapp: false }]);
		const listed = await call(t.owner, `whatsapp-numbers/${t.tenantId}/twilio-numbers`);
		expect(listed.body.numbers).toEqual([]);
		const agentId = await whatsappAgent(t);
		const { status, body } = await call(t.owner, `whatsapp-numbers/${t.tenantId}`, 'POST', {
			provider: 'twilio',
			displayName: '  Front desk  ',
			address: `whatsapp:${phone}`,
			assignedAgentId: agentId,
			active: true
		});
		expect(status).toBe(201);
		expect(body.number).toMatchObject({
			tenantId: t.tenantId,
			provider: 'twilio',
			displayName: 'Front desk',
			address: `whatsapp:${phone}`,
			phoneNumberId: null,
			assignedAgentId: agentId,
			active: true,
			needsAttention: false,
			lastWebhookAt: null,
			credentials: null,
			webhook: {
				callbackUrl: `${stack.url}/functions/v1/twilio-webhook#rc=3&rp=all`,
				verifyToken: null
			}
		});
		// Members read it straight from the table, through RLS.
		const { data } = await t.agent.from('whatsapp_numbers').select('id, display_name, active');
		expect(data).toEqual([{ id: body.number.id, display_name: 'Front desk', active: true }]);
	});

	it('a typed number outside + and 8 to 15 digits is refused with the sentence, at the address field', async () => {
		const t = await team('manual-bad');
		await connectTwilio(t);
		for (const [address, message] of [
			[
				'whatsapp:14155238886',
				'Start the number with + and its country code, like +1 415 523 8886 (not 00 or a local 0).'
			],
			[
				'+1234567',
				'The number has 7 digits; a WhatsApp number has 8 to 15, counting the country code.'
			],
			[
				'whatsapp:+1234567890123456',
				'The number has 16 digits; a WhatsApp number has 8 to 15, counting the country code.'
			],
			[
				'+1415\u00005238886',
				'The number contains an invisible control character, perhaps from a copy and paste. Type it again by hand.'
			]
		]) {
			expect(
				await call(t.owner, `whatsapp-numbers/${t.tenantId}`, 'POST', {
					provider: 'twilio',
					displayName: 'Bad',
					address
				}),
				address
			).toEqual({
				status: 400,
				body: {
					code: 'invalid_request',
					message,
					details: { issues: [{ path: 'address', message }] }
				}
			});
		}
		expect((await call(t.owner, `whatsapp-numbers/${t.tenantId}`)).body).toEqual({ numbers: [] });
	});

	it('a typed number with spaces, or an unusual one, is accepted and stored as whatsapp:+E164', async () => {
		const t = await team('manual-spaced');
		// 8 and 15 digits: the shortest and longest E.164 numbers, neither in use anywhere.
		const short = '+12345678';
		const long = '+123456789012345';
		const phone = ownPhone();
		await ownTwilioAccount(t, [
			{ phoneNumber: phone, whatsapp: false },
			{ phoneNumber: short, whatsapp: false },
			{ phoneNumber: long, whatsapp: false }
		]);
		const spaced = `${phone.slice(0, 2)} ${phone.slice(2, 5)} ${phone.slice(5, 8)}-${phone.slice(8)}`;
		for (const [typed, stored] of [
			[spaced, `whatsapp:${phone}`],
			[`whatsapp:${short.slice(0, 4)} ${short.slice(4)}`, `whatsapp:${short}`],
			[` ${long} `, `whatsapp:${long}`]
		]) {
			const { status, body } = await call(t.owner, `whatsapp-numbers/${t.tenantId}`, 'POST', {
				provider: 'twilio',
				displayName: `Typed ${stored.slice(-4)}`,
				address: typed
			});
			expect(status, typed).toBe(201);
			expect(body.number.address).toBe(stored);
		}
	});

	it('the same number cannot be connected twice, in this tenant or another', async () => {
		const t = await team('duplicate-a');
		const other = await team('duplicate-b');
		const phone = ownPhone();
		const account = await ownTwilioAccount(t, [{ phoneNumber: phone }]);
		// The other workspace holds the same account's credentials, so Twilio says it owns the number.
		await call(other.owner, `twilio-integration/${other.tenantId}`, 'POST', {
			accountSid: account.sid,
			authToken: account.authToken
		});
		const body = { provider: 'twilio', displayName: 'Dup', address: `whatsapp:${phone}` };
		expect((await call(t.owner, `whatsapp-numbers/${t.tenantId}`, 'POST', body)).status).toBe(201);
		const message = `whatsapp:${phone} is already connected to Parley. A number can be connected to one workspace only.`;
		expect(await call(t.owner, `whatsapp-numbers/${t.tenantId}`, 'POST', body)).toEqual({
			status: 409,
			body: { code: 'number_already_connected', message }
		});
		expect(await call(other.owner, `whatsapp-numbers/${other.tenantId}`, 'POST', body)).toEqual({
			status: 409,
			body: { code: 'number_already_connected', message }
		});
	});

	it("a workspace cannot connect another Twilio account's address, picked or typed, so it cannot block the owner", async () => {
		const owner = await team('owned-a');
		const intruder = await team('owned-b');
		const sender = ownPhone();
		const incoming = ownPhone();
		const ownerAccount = await ownTwilioAccount(owner, [
			{ phoneNumber: sender },
			{ phoneNumber: incoming, whatsapp: false }
		]);
		const intruderAccount = await ownTwilioAccount(intruder);

		// The intruder's own listing never offers them.
		const listed = await call(
			intruder.owner,
			`whatsapp-numbers/${intruder.tenantId}/twilio-numbers`
		);
		expect(listed).toEqual({ status: 200, body: { numbers: [] } });
		for (const address of [`whatsapp:${sender}`, `whatsapp:${incoming}`]) {
			sandbox.clearRequests();
			const refused = await call(intruder.owner, `whatsapp-numbers/${intruder.tenantId}`, 'POST', {
				provider: 'twilio',
				displayName: 'Not mine',
				address
			});
			const message = notOwnedMessage(address, intruderAccount.sid);
			expect(refused).toEqual({
				status: 400,
				body: {
					code: 'twilio_number_not_owned',
					message,
					details: { issues: [{ path: 'address', message }] }
				}
			});
			// Asked of Twilio with the intruder's own credentials: senders, then incoming numbers.
			const asked = sandbox.requests({ provider: 'twilio' });
			expect(asked.map((request) => request.path)).toEqual([
				'/v2/Channels/Senders',
				`/2010-04-01/Accounts/${intruderAccount.sid}/IncomingPhoneNumbers.json`
			]);
			expect(asked[1].query).toMatchObject({ PhoneNumber: address.slice('whatsapp:'.length) });
			for (const request of asked) {
				expect(request.headers.authorization).toBe(
					`Basic ${Buffer.from(`${intruderAccount.sid}:${intruderAccount.authToken}`).toString('base64')}`
				);
			}
		}
		expect((await call(intruder.owner, `whatsapp-numbers/${intruder.tenantId}`)).body).toEqual({
			numbers: []
		});

		// The owner connects both: the sender from the list, the incoming number by hand.
		for (const address of [`whatsapp:${sender}`, `whatsapp:${incoming}`]) {
			const connected = await call(owner.owner, `whatsapp-numbers/${owner.tenantId}`, 'POST', {
				provider: 'twilio',
				displayName: 'Mine',
				address
			});
			expect(connected.status, JSON.stringify(connected.body)).toBe(201);
		}
		expect(ownerAccount.sid).not.toBe(intruderAccount.sid);
	});

	it("Twilio's shared Sandbox number connects without a listing, once per Twilio account", async () => {
		const sandboxAddress = 'whatsapp:+14155238886';
		const first = await team('twilio-sandbox-a');
		const second = await team('twilio-sandbox-b');
		const sameAccount = await team('twilio-sandbox-c');
		const firstAccount = await ownTwilioAccount(first);
		await ownTwilioAccount(second);
		await call(sameAccount.owner, `twilio-integration/${sameAccount.tenantId}`, 'POST', {
			accountSid: firstAccount.sid,
			authToken: firstAccount.authToken
		});
		const body = { provider: 'twilio', displayName: 'Twilio Sandbox', address: sandboxAddress };
		for (const t of [first, second]) {
			const connected = await call(t.owner, `whatsapp-numbers/${t.tenantId}`, 'POST', body);
			expect(connected.status, JSON.stringify(connected.body)).toBe(201);
			expect(connected.body.number.address).toBe(sandboxAddress);
		}
		expect(
			await call(sameAccount.owner, `whatsapp-numbers/${sameAccount.tenantId}`, 'POST', body)
		).toEqual({
			status: 409,
			body: {
				code: 'number_already_connected',
				message: `The Twilio Sandbox of account ${firstAccount.sid} is already connected to Parley. A Twilio account's sandbox can be connected to one workspace only.`
			}
		});
	});
});

describe('whatsapp-numbers: credential health', () => {
	it('a rejection alerts owners and admins once per incident; a working send, a signed webhook or a reconnect clears it, and the next rejection alerts again', async () => {
		const t = await team('health');
		const phone = ownPhone();
		const account = await ownTwilioAccount(t, [{ phoneNumber: phone }]);
		const connected = await call(t.owner, `whatsapp-numbers/${t.tenantId}`, 'POST', {
			provider: 'twilio',
			displayName: 'Health',
			address: `whatsapp:${phone}`
		});
		const numberId: string = connected.body.number.id;
		const customer = '+15550499999';
		const { delivery } = await sandbox.sendCustomerMessage({
			provider: 'twilio',
			to: phone,
			from: customer,
			text: 'Hello, is anyone there?'
		});
		expect(delivery.responseStatus, delivery.responseBody).toBe(200);
		const { data: conversation } = await t.agent
			.from('conversations')
			.select('id')
			.eq('number_id', numberId)
			.single();
		const send = async (text: string) =>
			(await call(t.agent, 'whatsapp-send', 'POST', { conversationId: conversation!.id, text }))
				.body as {
				status: string;
				provider_message_id: string | null;
				error_code: string | null;
				error_message: string | null;
			};
		const health = async () =>
			(
				await t.owner
					.from('whatsapp_numbers')
					.select('needs_attention, last_error')
					.eq('id', numberId)
					.single()
			).data;
		const alerts = async (client: Team['owner']) =>
			(
				await client
					.from('notifications')
					.select('title, body')
					.eq('number_id', numberId)
					.eq('kind', 'credentials')
			).data;
		const integrationStatus = async () =>
			(await call(t.owner, `twilio-integration/${t.tenantId}`)).body.integration.status;
		const rotate = (authToken: string) => sandbox.addTwilioAccount({ sid: account.sid, authToken });

		rotate('rotated-token-1111111111111111');
		const rejected = await send('first, with a token Twilio no longer takes');
		expect(rejected).toMatchObject({ status: 'failed', error_code: '20003' });
		expect(await health()).toEqual({ needs_attention: true, last_error: rejected.error_message });
		const alert = { title: 'Health needs attention', body: rejected.error_message };
		expect(await alerts(t.owner)).toEqual([alert]);
		expect(await alerts(t.admin)).toEqual([alert]);
		expect(await alerts(t.agent)).toEqual([]);

		// The same incident: no second alert.
		expect((await send('second, still rejected')).status).toBe('failed');
		expect(await alerts(t.owner)).toHaveLength(1);

		// The token works again (rotated back at Twilio): a send it accepts clears the number.
		rotate(account.authToken);
		const accepted = await send('third, accepted');
		expect(['queued', 'sent']).toContain(accepted.status);
		// Its status callbacks are signed with this token: all answered before the token changes again.
		await vi.waitFor(
			() => {
				const answeredRead = sandbox
					.deliveries({ provider: 'twilio', kind: 'status' })
					.filter((delivery) => {
						const fields = delivery.payload as Record<string, string>;
						return (
							fields.MessageSid === accepted.provider_message_id &&
							fields.MessageStatus === 'read' &&
							delivery.responseStatus !== undefined
						);
					});
				expect(answeredRead).toHaveLength(1);
			},
			{ timeout: 15_000, interval: 50 }
		);
		expect(await health()).toEqual({ needs_attention: false, last_error: null });
		expect(await integrationStatus()).toBe('connected');

		// A new rejection is a new incident: told again.
		rotate('rotated-token-2222222222222222');
		expect((await send('fourth, rejected again')).status).toBe('failed');
		expect(await alerts(t.owner)).toHaveLength(2);
		expect(await alerts(t.admin)).toHaveLength(2);
		expect(await integrationStatus()).toBe('failed');

		// The token is back at Twilio: the customer's next message, signed with it, clears the number.
		rotate(account.authToken);
		const written = await sandbox.sendCustomerMessage({
			provider: 'twilio',
			to: phone,
			from: customer,
			text: 'Still there?'
		});
		expect(written.delivery.responseStatus, written.delivery.responseBody).toBe(200);
		expect(await health()).toEqual({ needs_attention: false, last_error: null });
		expect(await integrationStatus()).toBe('connected');

		// Rejected once more (a third incident), then reconnected with the new token: cleared
		// without waiting for a send or a webhook.
		rotate('rotated-token-3333333333333333');
		expect((await send('fifth, rejected')).status).toBe('failed');
		expect(await alerts(t.owner)).toHaveLength(3);
		const reconnected = await call(t.owner, `twilio-integration/${t.tenantId}`, 'POST', {
			accountSid: account.sid,
			authToken: 'rotated-token-3333333333333333'
		});
		expect(reconnected.body.integration.status).toBe('connected');
		expect(await health()).toEqual({ needs_attention: false, last_error: null });
	});
});
