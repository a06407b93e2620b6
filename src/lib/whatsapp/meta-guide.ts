/**
 * The Meta setup guide's steps, and the real screenshots a deployment may show in place of their
 * drawn illustrations (static/guide/*.svg). A screenshot is `src/lib/assets/guide/meta/<step id>.png`
 * with its alt text (what a screen reader reads instead) in `screenshots.json` beside it:
 *
 *   { "api-setup": { "alt": "WhatsApp API Setup, with the Phone number ID highlighted.", "width": 1280, "height": 720 } }
 *
 * width and height are optional (they keep the page from jumping while the image loads). The build
 * picks the files up and serves them with a content hash; blur tokens and secrets first. A step
 * without a screenshot keeps its illustration.
 */
import { z } from 'zod';
import { asset } from '$app/paths';
import listed from '../assets/guide/meta/screenshots.json';

// The build's URL of every screenshot in the folder, by file path.
const screenshotFiles: Record<string, string> = import.meta.glob('../assets/guide/meta/*.png', {
	eager: true,
	query: '?url',
	import: 'default'
});

export const guideStepIds = [
	'create-app',
	'add-whatsapp',
	'api-setup',
	'system-user-token',
	'webhook',
	'subscribe-messages'
] as const;
export type GuideStepId = (typeof guideStepIds)[number];

/** One step: what to do, and the illustration drawn for it. */
export interface GuideStep {
	id: GuideStepId;
	title: string;
	illustration: { file: string; alt: string };
	body: string[];
}

/** What a step shows: a screenshot when one is listed, else its illustration. */
export interface GuideFigure {
	kind: 'screenshot' | 'illustration';
	/** The image's URL. */
	src: string;
	alt: string;
	width: number;
	height: number;
}

const isStepId = (key: string): key is GuideStepId => guideStepIds.some((id) => id === key);

const screenshotEntry = z.strictObject({
	alt: z.string().trim().min(1, 'Each screenshot needs alt text that says what it shows.'),
	width: z.number().int().positive().optional(),
	height: z.number().int().positive().optional()
});
export type ScreenshotManifest = Partial<Record<GuideStepId, z.output<typeof screenshotEntry>>>;

/** A screenshot as the guide shows it: the file's URL, its alt text and size. */
export type Screenshot = z.output<typeof screenshotEntry> & { url: string };
export type Screenshots = Partial<Record<GuideStepId, Screenshot>>;

const MANIFEST = 'src/lib/assets/guide/meta/screenshots.json';

/** Reads a screenshot manifest, or throws with the file's name and what is wrong in it. */
export function readScreenshotManifest(value: unknown): ScreenshotManifest {
	const refuse = (where: string, what: string) => new Error(`${MANIFEST}: ${where}: ${what}`);
	const parsed = z.record(z.string(), screenshotEntry).safeParse(value);
	if (!parsed.success) {
		const issue = parsed.error.issues[0];
		throw refuse(issue.path.join('.') || 'the file', issue.message);
	}
	const manifest: ScreenshotManifest = {};
	for (const [key, entry] of Object.entries(parsed.data)) {
		if (!isStepId(key))
			throw refuse(
				key,
				`"${key}" is not a step of the Meta guide; use one of ${guideStepIds.join(', ')}.`
			);
		manifest[key] = entry;
	}
	return manifest;
}

/**
 * Pairs the PNG files (build URLs by path) with the manifest: every file needs its alt text, and
 * every entry its file, so a screenshot never shows without words and no entry points at nothing.
 */
export function pairScreenshots(
	files: Record<string, string>,
	manifest: ScreenshotManifest
): Screenshots {
	const urls = new Map(
		Object.entries(files).map(([path, url]) => [
			path.replace(/^.*\//, '').replace(/\.png$/, ''),
			url
		])
	);
	const shots: Screenshots = {};
	for (const id of guideStepIds) {
		const entry = manifest[id];
		const url = urls.get(id);
		if (entry && url) shots[id] = { ...entry, url };
		else if (url)
			throw new Error(`${MANIFEST}: ${id}.png has no entry; add one with its alt text.`);
		else if (entry) throw new Error(`${MANIFEST}: ${id}: there is no ${id}.png beside it.`);
		urls.delete(id);
	}
	const stray = [...urls.keys()][0];
	if (stray !== undefined)
		throw new Error(
			`${MANIFEST}: ${stray}.png is not a step of the Meta guide; name it after one of ${guideStepIds.join(', ')}.`
		);
	return shots;
}

/** The screenshots this deployment has. */
export const screenshots = pairScreenshots(screenshotFiles, readScreenshotManifest(listed));

/** The figure a step shows with these screenshots. */
export function guideFigure(step: GuideStep, shots: Screenshots = screenshots): GuideFigure {
	const shot = shots[step.id];
	if (shot)
		return {
			kind: 'screenshot',
			src: shot.url,
			alt: shot.alt,
			width: shot.width ?? 1280,
			height: shot.height ?? 720
		};
	return {
		kind: 'illustration',
		src: asset(`/guide/${step.illustration.file}`),
		alt: step.illustration.alt,
		width: 640,
		height: 360
	};
}

export const guideSteps: GuideStep[] = [
	{
		id: 'create-app',
		title: 'Create a Meta app',
		illustration: {
			file: '1-create-app.svg',
			alt: 'Mock-up of Meta for Developers: Create an app, with the Business app type selected and the Create app button highlighted.'
		},
		body: [
			'Sign in at developers.facebook.com, open My Apps and choose Create app.',
			'Pick the Business type (under "Other" if Meta asks what the app should do), name it, and link it to the Meta Business account that owns your number.'
		]
	},
	{
		id: 'add-whatsapp',
		title: 'Add the WhatsApp product',
		illustration: {
			file: '2-add-whatsapp.svg',
			alt: 'Mock-up of the app dashboard: the WhatsApp product card with its Set up button highlighted.'
		},
		body: [
			'On the app dashboard, find WhatsApp under Add products and choose Set up.',
			'Choose the business account when asked. Meta creates a WhatsApp Business Account (WABA) and a test number if you have none.'
		]
	},
	{
		id: 'api-setup',
		title: 'Copy the Phone Number ID and the WABA ID',
		illustration: {
			file: '3-api-setup.svg',
			alt: 'Mock-up of WhatsApp API Setup: the Phone number ID and WhatsApp Business Account ID fields are highlighted.'
		},
		body: [
			'Open WhatsApp › API Setup and pick your number under From.',
			'Copy the Phone number ID (Parley needs it) and the WhatsApp Business Account ID (optional, but recommended: Parley then checks the number belongs to it and that your app receives its webhooks).'
		]
	},
	{
		id: 'system-user-token',
		title: 'Create a System User and a permanent token',
		illustration: {
			file: '4-system-user-token.svg',
			alt: 'Mock-up of Business settings, System users: Generate token is highlighted, with the two WhatsApp permissions ticked and the permanent access token shown.'
		},
		body: [
			'The token on API Setup expires after 24 hours. In business.facebook.com › Business settings › Users › System users, add a system user with the Admin role.',
			'Under Assign assets, give it your app and your WhatsApp account with full control. Then Generate token for your app, with expiration Never and the permissions whatsapp_business_messaging and whatsapp_business_management. Copy it: Meta shows it once.',
			"Also copy the App Secret from your app's App settings › Basic: Parley checks every webhook's signature with it."
		]
	},
	{
		id: 'webhook',
		title: 'Connect the number in Parley, then set the webhook',
		illustration: {
			file: '5-webhook.svg',
			alt: 'Mock-up of WhatsApp Configuration: the Callback URL and Verify token fields filled in from Parley, and the Verify and save button highlighted.'
		},
		body: [
			'In Parley, choose Connect New Number › Meta Cloud API, and paste the Phone Number ID, the Business Account ID, the access token and the App Secret. Parley checks them with Meta before saving.',
			'Meta sends a WhatsApp Business Account\'s webhooks only to the apps subscribed to it. With the Business Account ID, Parley checks this and subscribes your app when it is missing; the number\'s card then says "Parley subscribed your Meta app to this WhatsApp Business Account". If Meta refuses, the card says so: subscribe the app yourself with POST /{WABA ID}/subscribed_apps and your token in the Graph API Explorer.',
			"Open Webhook setup on the number's card: it shows the Webhook callback URL and the Verify token, each with a copy button. In your app, open WhatsApp › Configuration › Webhook › Edit, paste both, and choose Verify and save."
		]
	},
	{
		id: 'subscribe-messages',
		title: 'Subscribe to messages',
		illustration: {
			file: '6-subscribe-messages.svg',
			alt: 'Mock-up of the Webhook fields list: the messages field is switched to Subscribed and highlighted.'
		},
		body: [
			'Still under Configuration › Webhook fields, choose Manage and subscribe to messages.',
			'That one field brings customers\' messages and the delivery statuses of your replies. Send your number a WhatsApp message: the card\'s "Last webhook" changes from "No webhooks yet" within seconds.'
		]
	}
];
