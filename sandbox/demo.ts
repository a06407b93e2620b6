/**
 * The credentials the sandbox is seeded with, so a new checkout can connect numbers with no accounts.
 * They only ever work against the sandbox.
 */
export const DEMO_CREDENTIALS = {
	twilio: {
		accountSid: 'AC5a7d0b1e2c3f4a5b6c7d8e9f0a1b2c3d',
		authToken: '5a2db0c0ffee00d15ea5e5a2db0c0ffe',
		friendlyName: 'Parley demo (sandbox)',
		numbers: [
			{ phoneNumber: '+15550100001', friendlyName: 'Demo store (sandbox)' },
			{ phoneNumber: '+15550100002', friendlyName: 'Demo support (sandbox)' }
		]
	},
	meta: {
		phoneNumberId: '106540352242922',
		wabaId: '102290129340398',
		displayPhoneNumber: '15550001111',
		verifiedName: 'Parley Demo (sandbox)',
		accessToken: 'EAAsandboxDemoAccessToken0000000000000000000000',
		appSecret: 'sandbox0app0secret0000000000000000',
		verifyToken: 'parley-sandbox-verify'
	},
	openai: {
		apiKey: 'sk-sandbox-parley-demo-key',
		model: 'gpt-4o-mini'
	},
	/** A customer phone the phone page starts with. */
	customer: { phone: '+5215512345678', profileName: 'Ana (sandbox)' }
} as const;
