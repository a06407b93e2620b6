/** The request bodies of the whatsapp-numbers function: connecting a number and editing one. */
import { z } from 'zod';
import { uuidPattern } from '../http.ts';
import { readWhatsAppNumber, WHATSAPP_NUMBER_EXAMPLE } from '../whatsapp-address.ts';

const displayName = z
	.string({ error: 'Enter a display name for this number.' })
	.trim()
	.min(1, 'Enter a display name for this number.')
	.max(80, 'A display name can be at most 80 characters long.');
const assignedAgentId = z
	.string()
	.regex(uuidPattern, 'Choose the AI agent from the list.')
	.nullish();
const active = z.boolean({ error: 'Active is either true or false.' });
const metaId = (label: string) =>
	z
		.string({ error: `Enter the ${label} from Meta's API Setup page.` })
		.trim()
		.regex(/^\d{1,32}$/, `The ${label} is a number, digits only, from Meta's API Setup page.`);
/** A Twilio number as `whatsapp:+E164`, from any spelling readWhatsAppNumber accepts. */
const whatsappAddress = z
	.string({ error: `Pick a Twilio number or enter one like ${WHATSAPP_NUMBER_EXAMPLE}.` })
	.transform((value, ctx) => {
		const reading = readWhatsAppNumber(value);
		if (reading.ok) return reading.address;
		ctx.addIssue({ code: 'custom', message: reading.message });
		return z.NEVER;
	});
const optionalBusinessAccountId = z
	.union([z.literal(''), metaId('WhatsApp Business Account ID')])
	.nullish();

/** POST /whatsapp-numbers/{tenantId}: a Twilio or a Meta number to connect. */
export const connectBody = z.discriminatedUnion(
	'provider',
	[
		z.object({
			provider: z.literal('twilio'),
			displayName,
			address: whatsappAddress,
			assignedAgentId,
			active: active.default(false)
		}),
		z.object({
			provider: z.literal('meta'),
			displayName,
			phoneNumberId: metaId('Phone Number ID'),
			businessAccountId: optionalBusinessAccountId,
			accessToken: z
				.string({ error: 'Enter the access token of your System User.' })
				.trim()
				.min(1, 'Enter the access token of your System User.'),
			appSecret: z
				.string({ error: "Enter the App Secret from your Meta app's Basic settings." })
				.trim()
				.min(1, "Enter the App Secret from your Meta app's Basic settings."),
			assignedAgentId,
			active: active.default(false)
		})
	],
	{ error: 'Choose the provider of this number: twilio or meta.' }
);

/** PATCH /whatsapp-numbers/{tenantId}/{numberId}: what changes; blank secrets stay as they are. */
export const updateBody = z.object({
	displayName: displayName.optional(),
	assignedAgentId,
	active: active.optional(),
	accessToken: z.string().trim().optional(),
	appSecret: z.string().trim().optional(),
	businessAccountId: optionalBusinessAccountId
});
