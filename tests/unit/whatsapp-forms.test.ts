import { describe, expect, it } from 'vitest';
import {
	NUMBER_FIELDS,
	connectNumberSchema,
	connectRequestBody,
	echoValues,
	editNumberSchema,
	editRequestBody,
	functionErrorFields,
	readForm,
	twilioIntegrationSchema
} from '../../src/lib/whatsapp/forms.ts';
import {
	assignableAgents,
	numberSubtitle,
	numberViewFromRow
} from '../../src/lib/whatsapp/numbers.ts';

const agentId = '6f1c1a52-6a0e-4c55-9c43-0c1b1d0b8a11';

function formOf(fields: Record<string, string>): FormData {
	const form = new FormData();
	for (const [name, value] of Object.entries(fields)) form.set(name, value);
	return form;
}

describe('connect-number form', () => {
	it('a typed Twilio number is read by the shared rule: refusals beside the field, any spelling sent as whatsapp:+E164', () => {
		const typed = (manualAddress: string) =>
			readForm(
				connectNumberSchema,
				formOf({ provider: 'twilio', displayName: 'Sales', addressMode: 'manual', manualAddress }),
				NUMBER_FIELDS
			);
		for (const [address, message] of [
			['whatsapp:14155238886', 'Start the number with + and its country code'],
			['+1234567', 'The number has 7 digits; a WhatsApp number has 8 to 15'],
			['', 'Enter the number with + and its country code']
		]) {
			const parsed = typed(address);
			expect(parsed.ok).toBe(false);
			if (!parsed.ok) expect(parsed.errors.manualAddress).toContain(message);
		}
		for (const address of ['whatsapp:+15550100002', '+1 555 010 0002', ' +1 (555) 010-0002 ']) {
			const good = typed(address);
			expect(good.ok && connectRequestBody(good.data)).toEqual({
				provider: 'twilio',
				displayName: 'Sales',
				address: 'whatsapp:+15550100002',
				assignedAgentId: null,
				active: false
			});
		}
	});

	it('an active number without an agent is refused beside the agent field', () => {
		const parsed = readForm(
			connectNumberSchema,
			formOf({
				provider: 'twilio',
				displayName: 'Sales',
				addressMode: 'list',
				address: 'whatsapp:+15550100001',
				active: 'on'
			}),
			NUMBER_FIELDS
		);
		expect(parsed).toEqual({
			ok: false,
			errors: {
				assignedAgentId:
					'Choose an AI agent with WhatsApp enabled, or leave the number inactive for now.'
			}
		});
	});

	it('Meta needs a numeric Phone Number ID, an access token and an app secret; the WABA ID is optional', () => {
		const missing = readForm(
			connectNumberSchema,
			formOf({ provider: 'meta', displayName: 'Meta', phoneNumberId: 'abc' }),
			NUMBER_FIELDS
		);
		expect(missing.ok).toBe(false);
		if (!missing.ok)
			expect(Object.keys(missing.errors).sort()).toEqual([
				'accessToken',
				'appSecret',
				'phoneNumberId'
			]);
		const parsed = readForm(
			connectNumberSchema,
			formOf({
				provider: 'meta',
				displayName: 'Meta',
				phoneNumberId: '106540352242922',
				businessAccountId: '',
				accessToken: 'EAAtoken',
				appSecret: 'secret',
				assignedAgentId: agentId,
				active: 'on'
			}),
			NUMBER_FIELDS
		);
		expect(parsed.ok && connectRequestBody(parsed.data)).toEqual({
			provider: 'meta',
			displayName: 'Meta',
			phoneNumberId: '106540352242922',
			businessAccountId: null,
			accessToken: 'EAAtoken',
			appSecret: 'secret',
			assignedAgentId: agentId,
			active: true
		});
	});
});

describe('edit-number form', () => {
	it('blank secrets are left out of the update, so the stored ones stay', () => {
		const parsed = readForm(
			editNumberSchema,
			formOf({
				numberId: agentId,
				displayName: 'Renamed',
				assignedAgentId: '',
				accessToken: '',
				appSecret: 'new-secret',
				businessAccountId: ''
			}),
			NUMBER_FIELDS
		);
		expect(parsed.ok && editRequestBody(parsed.data, 'meta')).toEqual({
			displayName: 'Renamed',
			assignedAgentId: null,
			active: false,
			businessAccountId: null,
			appSecret: 'new-secret'
		});
		expect(parsed.ok && editRequestBody(parsed.data, 'twilio')).toEqual({
			displayName: 'Renamed',
			assignedAgentId: null,
			active: false
		});
	});
});

describe('function errors on forms', () => {
	it('an unknown WhatsApp Business Account ID lands under its field, not under the Phone Number ID', () => {
		const message =
			'Meta found no WhatsApp Business Account with ID 999000111 for this access token (error 100).';
		expect(
			functionErrorFields(
				{
					code: 'meta_not_found',
					message,
					details: { issues: [{ path: 'businessAccountId', message }] }
				},
				NUMBER_FIELDS
			)
		).toEqual({ errors: { businessAccountId: message }, message: null });
	});

	it('a rejected Meta token lands beside the access token field', () => {
		expect(
			functionErrorFields(
				{ code: 'meta_token_invalid', message: 'Meta rejected this access token (error 190).' },
				NUMBER_FIELDS
			)
		).toEqual({
			errors: { accessToken: 'Meta rejected this access token (error 190).' },
			message: null
		});
	});

	it('validation issues map to their fields; errors about no field stay form-level sentences', () => {
		expect(
			functionErrorFields(
				{
					code: 'invalid_request',
					message: 'Bad address.',
					details: { issues: [{ path: 'address', message: 'Bad address.' }] }
				},
				NUMBER_FIELDS
			)
		).toEqual({ errors: { manualAddress: 'Bad address.' }, message: null });
		expect(
			functionErrorFields(
				{ code: 'twilio_not_connected', message: 'Twilio is not connected.' },
				NUMBER_FIELDS
			)
		).toEqual({ errors: {}, message: 'Twilio is not connected.' });
		expect(
			functionErrorFields(
				{ code: 'twilio_credentials_rejected', message: 'Twilio rejected (error 20003).' },
				['accountSid', 'authToken']
			)
		).toEqual({ errors: { authToken: 'Twilio rejected (error 20003).' }, message: null });
	});

	it('secrets are never echoed back into a refused form', () => {
		const echoed = echoValues(
			formOf({ displayName: 'Meta', accessToken: 'EAAsecret', appSecret: 'shh' }),
			NUMBER_FIELDS
		);
		expect(echoed).toEqual({ displayName: 'Meta' });
	});
});

describe('Twilio integration form', () => {
	it('an Account SID must be AC and 32 hex characters', () => {
		expect(twilioIntegrationSchema.safeParse({ accountSid: 'SK123', authToken: 'x' }).success).toBe(
			false
		);
		expect(
			twilioIntegrationSchema.safeParse({
				accountSid: 'AC5a7d0b1e2c3f4a5b6c7d8e9f0a1b2c3d',
				authToken: ''
			}).success
		).toBe(true);
	});
});

describe('number helpers', () => {
	it('only agents with WhatsApp on are offered, plus the one already assigned', () => {
		const agents = [
			{ id: 'a', whatsapp_enabled: true },
			{ id: 'b', whatsapp_enabled: false },
			{ id: 'c', whatsapp_enabled: false }
		];
		expect(assignableAgents(agents, 'c').map((agent) => agent.id)).toEqual(['a', 'c']);
		expect(assignableAgents(agents, null).map((agent) => agent.id)).toEqual(['a']);
	});

	it('a card shows the phone number, or the Meta phone number id when Meta gave no number', () => {
		expect(numberSubtitle({ address: 'whatsapp:+15550100001', phoneNumberId: null })).toBe(
			'+15550100001'
		);
		expect(numberSubtitle({ address: null, phoneNumberId: '1065' })).toBe('Phone Number ID 1065');
	});

	it('a row read through RLS becomes a view without credentials or webhook settings', () => {
		const view = numberViewFromRow({
			id: 'n1',
			tenant_id: 't1',
			provider: 'twilio',
			display_name: 'Sales',
			address: 'whatsapp:+15550100001',
			phone_number_id: null,
			business_account_id: null,
			assigned_agent_id: null,
			active: false,
			last_webhook_at: null,
			last_error: null,
			needs_attention: true,
			provider_notice: 'Meta raised this number’s messaging limit.',
			provider_notice_at: '2026-11-26T00:00:00Z',
			created_at: '2026-11-25T00:00:00Z',
			updated_at: '2026-11-25T00:00:00Z'
		});
		expect(view).toMatchObject({
			displayName: 'Sales',
			needsAttention: true,
			providerNotice: 'Meta raised this number’s messaging limit.',
			credentials: null,
			webhook: null
		});
	});
});
