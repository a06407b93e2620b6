/**
 * The interface every WhatsApp provider adapter implements, so adding a provider touches one file.
 * Sending and webhook parsing join this interface when those features land.
 */

export type ProviderName = 'twilio' | 'meta';

/** A WhatsApp sender the provider account offers (for the "pick a number" list). */
export interface ProviderNumber {
	/** `whatsapp:+E164`, what Parley stores as the number's address. */
	address: string;
	/** `+E164`. */
	phoneNumber: string;
	/** What the provider calls it (Twilio profile name, Meta verified name). */
	friendlyName: string;
	/** The provider's own status word, e.g. ONLINE or CONNECTED. */
	status: string;
}

/** What the provider says about credentials it accepted. */
export interface VerifiedCredentials {
	/** Account friendly name (Twilio) or verified business name (Meta). */
	accountName: string;
	/** The number the credentials belong to, `+E164`, when they name one (Meta). */
	phoneNumber?: string;
}

/** One provider behind one shape: check credentials, list the account's WhatsApp numbers. */
export interface WhatsAppProviderAdapter<Credentials> {
	readonly provider: ProviderName;
	/** Asks the provider whether these credentials work; throws an HttpError with a sentence otherwise. */
	verifyCredentials(credentials: Credentials): Promise<VerifiedCredentials>;
	/** The account's WhatsApp-capable numbers, live from the provider. */
	listNumbers(credentials: Credentials): Promise<ProviderNumber[]>;
}
