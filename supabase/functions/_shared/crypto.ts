/**
 * Encryption at rest for provider secrets (Twilio auth token, Meta access token and app secret):
 * AES-256-GCM through Web Crypto, key from the PARLEY_ENCRYPTION_KEY function secret (32 bytes,
 * base64). Stored form: `v1.<base64 iv>.<base64 ciphertext and tag>`; the version leaves room to
 * rotate the scheme. No imports, so Node (tests) and Deno (functions) share this file.
 */

const storedPrefix = 'v1';

function toBase64(bytes: Uint8Array): string {
	let binary = '';
	for (const byte of bytes) binary += String.fromCharCode(byte);
	return btoa(binary);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
	const normalized = text.trim().replace(/-/g, '+').replace(/_/g, '/');
	const binary = atob(normalized);
	const bytes = new Uint8Array(binary.length);
	for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
	return bytes;
}

/** Imports the base64 key; refuses anything that is not exactly 32 bytes, with a sentence. */
export async function importEncryptionKey(base64Key: string | undefined): Promise<CryptoKey> {
	let raw: Uint8Array<ArrayBuffer> | undefined;
	try {
		raw = base64Key ? fromBase64(base64Key) : undefined;
	} catch {
		raw = undefined;
	}
	if (!raw || raw.length !== 32) {
		throw new Error(
			'PARLEY_ENCRYPTION_KEY must be 32 random bytes in base64 (for example the output of `openssl rand -base64 32`).'
		);
	}
	return crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

/** Encrypts a secret with a fresh random 96-bit IV. */
export async function encryptSecret(plaintext: string, key: CryptoKey): Promise<string> {
	const iv = crypto.getRandomValues(new Uint8Array(12));
	const sealed = await crypto.subtle.encrypt(
		{ name: 'AES-GCM', iv },
		key,
		new TextEncoder().encode(plaintext)
	);
	return `${storedPrefix}.${toBase64(iv)}.${toBase64(new Uint8Array(sealed))}`;
}

/** Decrypts what encryptSecret stored; throws when the key is wrong or the value was altered. */
export async function decryptSecret(stored: string, key: CryptoKey): Promise<string> {
	const [prefix, iv, sealed] = stored.split('.');
	if (prefix !== storedPrefix || !iv || !sealed) {
		throw new Error('This stored secret is not in a format Parley can read.');
	}
	const opened = await crypto.subtle.decrypt(
		{ name: 'AES-GCM', iv: fromBase64(iv) },
		key,
		fromBase64(sealed)
	);
	return new TextDecoder().decode(opened);
}

/** The last four characters, kept beside the ciphertext so the UI can show which secret is stored. */
export function lastFour(secret: string): string {
	return secret.slice(-4);
}

/** How a stored secret is shown: `••••1234`. */
export function maskSecret(last4: string | null | undefined): string | null {
	return last4 ? `••••${last4}` : null;
}

/** A random token for Meta's webhook subscription check (the "Verify token" field). */
export function generateVerifyToken(): string {
	return toBase64(crypto.getRandomValues(new Uint8Array(24)))
		.replace(/\+/g, '-')
		.replace(/\//g, '_')
		.replace(/=+$/, '');
}
