/** A number's provider operations, bound to its decrypted credentials. */
import type { DatabaseClient } from './clients.ts';
import { HttpError } from './http.ts';
import { databaseFailure } from './database-errors.ts';
import type { ProviderFunctionConfig } from './config.ts';
import { encryptionKeyOf, openStoredSecret } from './stored-secrets.ts';
import { createMetaAdapter } from './providers/meta.ts';
import { createMetaMessagingAdapter } from './providers/meta-messaging.ts';
import { createTwilioAdapter } from './providers/twilio.ts';
import { createTwilioMessagingAdapter } from './providers/twilio-messaging.ts';
import type {
	OutboundMessage,
	SendResult,
	FetchedMedia,
	ProviderTemplate
} from './providers/provider.ts';

/** Provider operations on one number with its decrypted credentials. */
export interface NumberChannel {
	provider: 'twilio' | 'meta';
	send(message: OutboundMessage): Promise<SendResult>;
	markRead(providerMessageId: string): Promise<void>;
	fetchMedia(providerRef: string): Promise<FetchedMedia>;
	/** The account's templates; errors are HttpErrors worded for an account read (not a send). */
	listTemplates(businessAccountId: string | null): Promise<ProviderTemplate[]>;
}

/** Loads and decrypts a number's credentials and binds them to its provider's adapter. */
export async function numberChannel(
	config: ProviderFunctionConfig,
	service: DatabaseClient,
	numberId: string
): Promise<NumberChannel> {
	const { data, error } = await service.rpc('number_send_credentials', { number_id: numberId });
	if (error) throw databaseFailure(error);
	const row = data?.[0];
	if (!row || !row.secret_ciphertext) {
		throw new HttpError(
			409,
			'number_not_connected',
			'This number has no stored provider credentials. An owner or admin needs to connect it again.'
		);
	}
	const key = await encryptionKeyOf(config);
	if (row.provider === 'twilio') {
		const authToken = await openStoredSecret(row.secret_ciphertext, key, 'Twilio auth token');
		const credentials = { accountSid: row.account_sid ?? '', authToken, from: row.address ?? '' };
		const adapter = createTwilioMessagingAdapter({ apiUrl: config.twilioApiUrl });
		return {
			provider: 'twilio',
			send: (message) => adapter.send(credentials, message),
			markRead: (id) => adapter.markRead(credentials, id),
			fetchMedia: (ref) => adapter.fetchMedia(credentials, ref),
			listTemplates: () =>
				createTwilioAdapter({ apiUrl: config.twilioApiUrl }).listTemplates(credentials)
		};
	}
	const accessToken = await openStoredSecret(row.secret_ciphertext, key, 'Meta access token');
	const credentials = { phoneNumberId: row.phone_number_id ?? '', accessToken };
	const adapter = createMetaMessagingAdapter({ graphUrl: config.metaGraphUrl });
	return {
		provider: 'meta',
		send: (message) => adapter.send(credentials, message),
		markRead: (id) => adapter.markRead(credentials, id),
		fetchMedia: (ref) => adapter.fetchMedia(credentials, ref),
		listTemplates: (businessAccountId) =>
			createMetaAdapter({ graphUrl: config.metaGraphUrl }).listTemplates({
				...credentials,
				businessAccountId
			})
	};
}
