/**
 * Provider secrets at rest: the encryption key from the function's config, and stored secrets
 * opened with it, each failure as a sentence that says who must do what.
 */
import { HttpError } from './http.ts';
import { decryptSecret, importEncryptionKey } from './crypto.ts';
import type { ProviderFunctionConfig } from './config.ts';

/** The encryption key from PARLEY_ENCRYPTION_KEY, or a 500 that says what the operator must set. */
export async function encryptionKeyOf(config: ProviderFunctionConfig): Promise<CryptoKey> {
	try {
		return await importEncryptionKey(config.encryptionKey);
	} catch (error) {
		console.error((error as Error).message);
		throw new HttpError(
			500,
			'server_misconfigured',
			'Parley cannot store or read provider credentials because its encryption key is not set up. Ask whoever runs this Parley to set PARLEY_ENCRYPTION_KEY.'
		);
	}
}

/** Decrypts a stored secret; one that no longer opens (the key changed) asks for the secret again. */
export async function openStoredSecret(
	ciphertext: string,
	key: CryptoKey,
	what: string
): Promise<string> {
	try {
		return await decryptSecret(ciphertext, key);
	} catch {
		throw new HttpError(
			409,
			'stored_secret_unreadable',
			`Parley can no longer read the stored ${what} (the encryption key changed). Enter it again.`
		);
	}
}
