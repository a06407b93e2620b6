import { describe, expect, it } from 'vitest';
import {
	readWhatsAppNumber,
	unusualNumberWarning
} from '../../supabase/functions/_shared/whatsapp-address.ts';
import { connectBody } from '../../supabase/functions/_shared/numbers/fields.ts';
import { createMetaAdapter } from '../../supabase/functions/_shared/providers/meta.ts';
import { HttpError } from '../../supabase/functions/_shared/http.ts';

// The one rule for a typed WhatsApp number: what the function's schema, the form's action and the
// browser accept, refuse and warn about.

describe('readWhatsAppNumber', () => {
	it('accepts the whatsapp: example and spaced, dashed or bracketed numbers, as whatsapp:+E164', () => {
		for (const typed of [
			'whatsapp:+1234567890',
			'WhatsApp: +1 234 567 890',
			'+1 234 567 890',
			'+1-234-567-890',
			'+1 (234) 567.890',
			'  +1\u00a0234\u202f567 890  ',
			// As a phone's contacts app copies it: wrapped in left-to-right embedding marks.
			'\u202a+1 234 567 890\u202c',
			'\u200ewhatsapp:+1 234 567 890'
		]) {
			expect(readWhatsAppNumber(typed), typed).toEqual({
				ok: true,
				address: 'whatsapp:+1234567890',
				e164: '+1234567890'
			});
		}
	});

	it('accepts 8 and 15 digits, and refuses 7 and 16 with a sentence that counts them', () => {
		expect(readWhatsAppNumber('+12345678')).toMatchObject({ ok: true, e164: '+12345678' });
		expect(readWhatsAppNumber('+123456789012345')).toMatchObject({
			ok: true,
			e164: '+123456789012345'
		});
		expect(readWhatsAppNumber('+1234567')).toEqual({
			ok: false,
			message: 'The number has 7 digits; a WhatsApp number has 8 to 15, counting the country code.'
		});
		expect(readWhatsAppNumber('whatsapp:+1234567890123456')).toEqual({
			ok: false,
			message: 'The number has 16 digits; a WhatsApp number has 8 to 15, counting the country code.'
		});
	});

	it('refuses a NUL byte or any control character without echoing it', () => {
		for (const typed of ['+1415\u00005238886', '+14155238886\u0000', '+1415\u001b5238886']) {
			const reading = readWhatsAppNumber(typed);
			expect(reading).toEqual({
				ok: false,
				message:
					'The number contains an invisible control character, perhaps from a copy and paste. Type it again by hand.'
			});
		}
	});

	it('refuses a number without +, with letters, a second + or a leading 0, saying what to write', () => {
		expect(readWhatsAppNumber('whatsapp:14155238886')).toEqual({
			ok: false,
			message:
				'Start the number with + and its country code, like +1 415 523 8886 (not 00 or a local 0).'
		});
		expect(readWhatsAppNumber('+1 415 CALL NOW')).toMatchObject({
			ok: false,
			message: expect.stringContaining('only digits after the +, but this one has "C"')
		});
		expect(readWhatsAppNumber('+1415+5238886')).toMatchObject({
			ok: false,
			message: expect.stringContaining('has "+"')
		});
		expect(readWhatsAppNumber('+0145238886')).toMatchObject({
			ok: false,
			message: expect.stringContaining('No country code starts with 0.')
		});
		expect(readWhatsAppNumber('   ')).toMatchObject({
			ok: false,
			message: 'Enter the number with + and its country code, like +1 415 523 8886.'
		});
		expect(readWhatsAppNumber(`+1${'1'.repeat(80)}`)).toMatchObject({
			ok: false,
			message: expect.stringContaining('too long for a phone number')
		});
	});
});

describe('unusualNumberWarning', () => {
	it('says nothing about numbers in use (US, UK, Brazil mobile)', async () => {
		for (const e164 of ['+14155238886', '+447911123456', '+5511987654321'])
			expect(await unusualNumberWarning(e164), e164).toBeNull();
	});

	it('warns, naming the country, about a number outside its plan, and about an unused country code', async () => {
		expect(await unusualNumberWarning('+15550100002')).toBe(
			'+1 555 010 0002 does not look like a number in use in its country (country code +1). Check the digits; Parley connects it anyway.'
		);
		expect(await unusualNumberWarning('+4912345678')).toBe(
			'+49 12345678 does not look like a number in use in its country (Germany, +49). Check the digits; Parley connects it anyway.'
		);
		expect(await unusualNumberWarning('+99912345678')).toBe(
			'+99912345678 does not start with a country code in use. Check the number; Parley connects it anyway.'
		);
	});
});

describe("the whatsapp-numbers function's schema", () => {
	const twilio = (address: unknown) =>
		connectBody.safeParse({ provider: 'twilio', displayName: 'Front desk', address });

	it('stores any accepted spelling as whatsapp:+E164, an unusual number included', () => {
		for (const address of ['whatsapp:+1234567890', '+1 234 567 890']) {
			const parsed = twilio(address);
			expect(parsed.success && parsed.data.provider === 'twilio' && parsed.data.address).toBe(
				'whatsapp:+1234567890'
			);
		}
	});

	it('refuses what the form refuses, with the same sentence at the address path', () => {
		for (const address of ['+1234567', '+1234567890123456', '+1415\u00005238886', '14155238886']) {
			const parsed = twilio(address);
			expect(parsed.success).toBe(false);
			const reading = readWhatsAppNumber(address);
			if (!parsed.success && !reading.ok)
				expect(parsed.error.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
					['address', reading.message]
				]);
		}
	});
});

describe('the Meta adapter names the ID Meta did not find', () => {
	const graph = (unknownPath: string) =>
		createMetaAdapter({
			graphUrl: 'https://graph.example.test',
			fetch: async (input) => {
				const url = String(input);
				if (url.includes(unknownPath))
					return Response.json(
						{ error: { code: 100, message: 'Unsupported get request.' } },
						{
							status: 400
						}
					);
				if (url.includes('/phone_numbers'))
					return Response.json({ data: [{ id: '1065', display_phone_number: '15550001' }] });
				return Response.json({ id: '1065', display_phone_number: '+1 555 0001' });
			}
		});
	const refusal = async (promise: Promise<unknown>) => {
		const error = await promise.then(
			() => null,
			(caught: unknown) => caught
		);
		expect(error).toBeInstanceOf(HttpError);
		return error instanceof HttpError
			? { code: error.code, paths: error.details?.issues?.map((issue) => issue.path) }
			: null;
	};

	it('an unknown business account under businessAccountId, an unknown number under phoneNumberId', async () => {
		const credentials = { phoneNumberId: '1065', accessToken: 'token', businessAccountId: '999' };
		expect(await refusal(graph('/999/').verifyCredentials(credentials))).toEqual({
			code: 'meta_not_found',
			paths: ['businessAccountId']
		});
		expect(await refusal(graph('/1065?').verifyCredentials(credentials))).toEqual({
			code: 'meta_not_found',
			paths: ['phoneNumberId']
		});
		expect(
			await refusal(graph('/nothing/').verifyCredentials({ ...credentials, phoneNumberId: '7' }))
		).toEqual({ code: 'meta_business_account_mismatch', paths: ['businessAccountId'] });
	});
});
