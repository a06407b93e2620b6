import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { setupSteps } from '../../src/lib/whatsapp/setup.ts';
import { numberHealth } from '../../src/lib/whatsapp/numbers.ts';
import {
	guideFigure,
	guideStepIds,
	guideSteps,
	pairScreenshots,
	readScreenshotManifest,
	screenshots
} from '../../src/lib/whatsapp/meta-guide.ts';

const agent = (name: string, whatsapp_enabled: boolean, active = true) => ({
	name,
	whatsapp_enabled,
	active
});

describe('the setup checklist of a workspace without numbers', () => {
	it('a new workspace has every step to do, in order: provider, AI agent, number', () => {
		const steps = setupSteps({ twilio: null, agents: [], numberCount: 0 });
		expect(steps.map((step) => [step.id, step.done])).toEqual([
			['provider', false],
			['agent', false],
			['number', false]
		]);
	});

	it('Twilio counts only while connected; a refused Twilio says to reconnect', () => {
		const connected = setupSteps({ twilio: { status: 'connected' }, agents: [], numberCount: 0 });
		expect(connected[0].done).toBe(true);
		const failed = setupSteps({ twilio: { status: 'failed' }, agents: [], numberCount: 0 });
		expect(failed[0]).toMatchObject({
			done: false,
			detail: 'Twilio refused the saved credentials. Reconnect it under Integrations.'
		});
	});

	it('an AI agent counts only with WhatsApp on, naming it, and saying when it is inactive', () => {
		expect(
			setupSteps({ twilio: null, agents: [agent('Notes bot', false)], numberCount: 0 })[1].done
		).toBe(false);
		expect(
			setupSteps({
				twilio: null,
				agents: [agent('Night shift', true, false), agent('Sales assistant', true)],
				numberCount: 0
			})[1]
		).toMatchObject({ done: true, detail: 'Sales assistant has WhatsApp on.' });
		expect(
			setupSteps({ twilio: null, agents: [agent('Night shift', true, false)], numberCount: 0 })[1]
		).toMatchObject({ done: true, detail: 'Night shift has WhatsApp on, but is inactive.' });
	});
});

describe("a number card's health badge", () => {
	const healthy = { needsAttention: false, lastError: null, lastWebhookAt: null };

	it('is waiting until a signed webhook arrives, then verified', () => {
		expect(numberHealth(healthy)).toMatchObject({ tone: 'waiting', label: 'Not verified' });
		expect(numberHealth({ ...healthy, lastWebhookAt: '2026-12-02T10:00:00Z' })).toMatchObject({
			tone: 'verified',
			label: 'Verified'
		});
	});

	it('is failing while the provider refuses the credentials, even after webhooks arrived', () => {
		expect(
			numberHealth({
				needsAttention: true,
				lastError: 'Meta rejected the access token (error 190).',
				lastWebhookAt: '2026-12-02T10:00:00Z'
			})
		).toEqual({
			tone: 'failing',
			label: 'Failing',
			detail: 'Meta rejected the access token (error 190).'
		});
	});
});

describe('the Meta guide figures', () => {
	const apiSetup = guideSteps.find((step) => step.id === 'api-setup');
	const files = {
		'../assets/guide/meta/api-setup.png': '/_app/immutable/assets/api-setup.1a2b.png'
	};

	it('has one step per id, each with an illustration that exists and alt text', () => {
		expect(guideSteps.map((step) => step.id)).toEqual([...guideStepIds]);
		for (const step of guideSteps) {
			expect(existsSync(resolve('static/guide', step.illustration.file)), step.id).toBe(true);
			expect(step.illustration.alt).toMatch(/^Mock-up of /);
		}
	});

	it('shows a screenshot with its alt text instead of the illustration, and the illustration otherwise', () => {
		if (!apiSetup) throw new Error('the guide lost its API Setup step');
		const shots = pairScreenshots(
			files,
			readScreenshotManifest({
				'api-setup': { alt: 'API Setup with the Phone number ID.', width: 1600, height: 900 }
			})
		);
		expect(guideFigure(apiSetup, shots)).toEqual({
			kind: 'screenshot',
			src: '/_app/immutable/assets/api-setup.1a2b.png',
			alt: 'API Setup with the Phone number ID.',
			width: 1600,
			height: 900
		});
		expect(guideFigure(apiSetup, {})).toMatchObject({
			kind: 'illustration',
			src: '/guide/3-api-setup.svg',
			alt: apiSetup.illustration.alt
		});
	});

	it('refuses a screenshot without alt text, an entry without its file, and a file named after no step', () => {
		const manifest = 'src/lib/assets/guide/meta/screenshots.json';
		expect(() => pairScreenshots(files, {})).toThrow(
			`${manifest}: api-setup.png has no entry; add one with its alt text.`
		);
		expect(() => pairScreenshots({}, { webhook: { alt: 'The webhook form.' } })).toThrow(
			`${manifest}: webhook: there is no webhook.png beside it.`
		);
		expect(() => pairScreenshots({ '../assets/guide/meta/api-set-up.png': '/x.png' }, {})).toThrow(
			`${manifest}: api-set-up.png is not a step of the Meta guide`
		);
		expect(() => readScreenshotManifest({ 'api-set-up': { alt: 'x' } })).toThrow(
			`${manifest}: api-set-up: "api-set-up" is not a step of the Meta guide`
		);
		expect(() => readScreenshotManifest({ webhook: { alt: ' ' } })).toThrow(
			`${manifest}: webhook.alt: Each screenshot needs alt text that says what it shows.`
		);
	});

	it("this deployment's screenshots and manifest agree (the module loads)", () => {
		const wrong = Object.entries(screenshots).filter(
			([id, shot]) => !guideStepIds.some((step) => step === id) || !shot.alt || !shot.url
		);
		expect(wrong).toEqual([]);
	});
});
