/**
 * Meta WhatsApp Cloud API management adapter: plain fetch against the Graph API (META_GRAPH_URL;
 * the sandbox in dev and tests). It checks a number's credentials, lists the account's numbers and
 * templates, and subscribes the app to a business account. Webhooks are read in meta-webhook.ts,
 * messages sent in meta-messaging.ts.
 */
import type { MetaAppSubscription } from '../contracts.ts';
import { HttpError } from '../http.ts';
import {
	templatePlaceholders,
	type TemplateButton,
	type TemplateHeaderFormat,
	type TemplateVariable
} from '../template-text.ts';
import {
	displayNumberToE164,
	graphBaseUrl,
	type GraphError,
	type MetaCredentials
} from './meta-graph.ts';
import type {
	ProviderNumber,
	ProviderTemplate,
	VerifiedCredentials,
	WhatsAppProviderAdapter
} from './provider.ts';

export type { MetaAppSubscription, MetaCredentials };

/** The Meta adapter: the common one, plus the app's subscription to a business account. */
export interface MetaAdapter extends WhatsAppProviderAdapter<MetaCredentials> {
	/** Checks `GET /{waba}/subscribed_apps` and subscribes the token's app when it is missing. */
	ensureAppSubscribed(credentials: MetaCredentials): Promise<MetaAppSubscription>;
}

/** Creates the Meta adapter. */
export function createMetaAdapter(options: {
	graphUrl: string;
	fetch?: typeof fetch;
}): MetaAdapter {
	const base = graphBaseUrl(options.graphUrl);
	const fetchImpl = options.fetch ?? fetch;

	/** GET a Graph path with the token; Graph errors become sentences with stable codes. */
	async function graphGet<T>(path: string, accessToken: string, subject: string): Promise<T> {
		let response: Response;
		try {
			response = await fetchImpl(`${base}/${path}`, {
				headers: { Authorization: `Bearer ${accessToken}` },
				signal: AbortSignal.timeout(15_000)
			});
		} catch {
			throw new HttpError(
				502,
				'provider_unavailable',
				'Parley could not reach Meta. Try again in a few minutes.'
			);
		}
		const body = (await response.json().catch(() => ({}))) as T & GraphError;
		if (response.ok) return body;
		const code = body.error?.code;
		if (response.status >= 500 || code === 1 || code === 2) {
			throw new HttpError(
				502,
				'provider_unavailable',
				`Meta is not answering properly right now (HTTP ${response.status}). Try again in a few minutes.`
			);
		}
		if (code === 190) {
			throw new HttpError(
				400,
				'meta_token_invalid',
				'Meta rejected this access token (error 190): it is invalid or has expired. Generate a new permanent token for your System User and paste it again.'
			);
		}
		if (code === 100) {
			throw new HttpError(
				400,
				'meta_not_found',
				`Meta found no ${subject} for this access token (error 100). Check the ID, and that the token's System User has access to the WhatsApp Business Account.`
			);
		}
		if (code === 10 || code === 200) {
			throw new HttpError(
				400,
				'meta_permission_denied',
				`This access token may not read the ${subject} (error ${code}). Give the token the whatsapp_business_management and whatsapp_business_messaging permissions.`
			);
		}
		throw new HttpError(
			400,
			'meta_error',
			`Meta refused the request${code ? ` (error ${code})` : ''}: ${body.error?.message ?? `HTTP ${response.status}`}`
		);
	}

	/**
	 * Names the field an "object not found" (error 100) is about, so a form shows it under that ID
	 * (details.issues) rather than as a banner; other errors pass through unchanged.
	 */
	const unknownIdIn =
		(field: 'phoneNumberId' | 'businessAccountId') =>
		(error: unknown): never => {
			if (error instanceof HttpError && error.code === 'meta_not_found') {
				throw new HttpError(error.status, error.code, error.message, {
					issues: [{ path: field, message: error.message }]
				});
			}
			throw error;
		};

	interface GraphPhoneNumber {
		id: string;
		display_phone_number?: string;
		verified_name?: string;
		code_verification_status?: string;
	}

	const listNumbers = async (credentials: MetaCredentials): Promise<ProviderNumber[]> => {
		if (!credentials.businessAccountId) return [];
		const { data } = await graphGet<{ data?: GraphPhoneNumber[] }>(
			`${encodeURIComponent(credentials.businessAccountId)}/phone_numbers`,
			credentials.accessToken,
			`WhatsApp Business Account with ID ${credentials.businessAccountId}`
		);
		return (data ?? []).flatMap((number) => {
			const phoneNumber = displayNumberToE164(number.display_phone_number);
			return phoneNumber
				? [
						{
							address: `whatsapp:${phoneNumber}`,
							phoneNumber,
							friendlyName: number.verified_name ?? '',
							status: number.code_verification_status ?? ''
						}
					]
				: [];
		});
	};

	return {
		provider: 'meta',

		async verifyCredentials(credentials): Promise<VerifiedCredentials> {
			const number = await graphGet<GraphPhoneNumber>(
				`${encodeURIComponent(credentials.phoneNumberId)}?fields=id,display_phone_number,verified_name`,
				credentials.accessToken,
				`phone number with ID ${credentials.phoneNumberId}`
			).catch(unknownIdIn('phoneNumberId'));
			if (credentials.businessAccountId) {
				const numbers = await graphGet<{ data?: GraphPhoneNumber[] }>(
					`${encodeURIComponent(credentials.businessAccountId)}/phone_numbers`,
					credentials.accessToken,
					`WhatsApp Business Account with ID ${credentials.businessAccountId}`
				).catch(unknownIdIn('businessAccountId'));
				if (!(numbers.data ?? []).some((entry) => entry.id === credentials.phoneNumberId)) {
					const message = `The phone number ${credentials.phoneNumberId} does not belong to the WhatsApp Business Account ${credentials.businessAccountId}. Check both IDs in Meta's API Setup page, or leave the Business Account ID empty.`;
					throw new HttpError(400, 'meta_business_account_mismatch', message, {
						issues: [{ path: 'businessAccountId', message }]
					});
				}
			}
			return {
				accountName: number.verified_name ?? '',
				phoneNumber: displayNumberToE164(number.display_phone_number)
			};
		},

		listNumbers,

		async ensureAppSubscribed(credentials) {
			const wabaId = credentials.businessAccountId;
			if (!wabaId) return { status: 'unknown', sentence: null };
			const path = `${encodeURIComponent(wabaId)}/subscribed_apps`;
			const manualStep = `Subscribe it yourself (POST /${wabaId}/subscribed_apps with this token, e.g. in the Graph API Explorer; the token needs whatsapp_business_management): until then Meta sends no messages or statuses for this number to Parley.`;
			let present: boolean;
			try {
				const subscribed = await graphGet<{
					data?: { whatsapp_business_api_data?: { id?: string } }[];
				}>(path, credentials.accessToken, `WhatsApp Business Account with ID ${wabaId}`);
				const subscribedIds = (subscribed.data ?? []).flatMap(
					(entry) => entry.whatsapp_business_api_data?.id ?? []
				);
				// Some app is subscribed: whether it is the token's own app (`GET /app`); when Meta
				// will not say, that app is taken to be this one.
				const app =
					subscribedIds.length > 0
						? await graphGet<{ id?: string }>('app', credentials.accessToken, 'app').catch(
								() => null
							)
						: null;
				present = app?.id ? subscribedIds.includes(app.id) : subscribedIds.length > 0;
			} catch (error) {
				const code = error instanceof HttpError ? ` (${error.code})` : '';
				return {
					status: 'unknown',
					sentence: `Parley could not check whether your Meta app is subscribed to this WhatsApp Business Account${code}. ${manualStep}`
				};
			}
			if (present) return { status: 'present', sentence: null };
			let refusal: string | null = null;
			try {
				const response = await fetchImpl(`${base}/${path}`, {
					method: 'POST',
					headers: { Authorization: `Bearer ${credentials.accessToken}` },
					signal: AbortSignal.timeout(15_000)
				});
				const answer = (await response.json().catch(() => ({}))) as GraphError & {
					success?: boolean;
				};
				if (!response.ok || answer.success === false) {
					refusal = ` (error ${answer.error?.code ?? `HTTP ${response.status}`})`;
				}
			} catch {
				refusal = ' (Meta could not be reached)';
			}
			if (refusal !== null) {
				return {
					status: 'refused',
					sentence: `Meta did not let Parley subscribe your app to this WhatsApp Business Account${refusal}. ${manualStep}`
				};
			}
			return {
				status: 'subscribed',
				sentence:
					'Parley subscribed your Meta app to this WhatsApp Business Account, so its webhooks reach Parley.'
			};
		},

		async listTemplates(credentials) {
			const wabaId = credentials.businessAccountId;
			if (!wabaId) {
				throw new HttpError(
					409,
					'no_business_account',
					'Meta keeps templates in the WhatsApp Business Account, and this number has no Business Account ID. An owner or admin can add it in the number’s settings.'
				);
			}
			const templates: ProviderTemplate[] = [];
			let after: string | undefined;
			// A business has at most a few hundred templates; the page cap guards against a loop.
			for (let page = 0; page < 20; page++) {
				const query = new URLSearchParams({
					fields: 'id,name,language,status,category,components,rejected_reason',
					limit: '100',
					...(after ? { after } : {})
				});
				const answer = await graphGet<{
					data?: GraphTemplate[];
					paging?: { next?: string; cursors?: { after?: string } };
				}>(
					`${encodeURIComponent(wabaId)}/message_templates?${query}`,
					credentials.accessToken,
					`WhatsApp Business Account with ID ${wabaId}`
				);
				for (const entry of answer.data ?? []) {
					const template = templateFromGraph(entry);
					if (template) templates.push(template);
				}
				// Graph gives `next` only while there is another page.
				after = answer.paging?.next ? answer.paging.cursors?.after : undefined;
				if (!after) break;
			}
			return templates;
		}
	};
}

interface GraphTemplateButton {
	type?: string;
	text?: string;
	url?: string;
	phone_number?: string;
	example?: string[] | string;
}

interface GraphTemplateComponent {
	type?: string;
	format?: string;
	text?: string;
	example?: {
		header_text?: string[];
		header_text_named_params?: { param_name?: string; example?: string }[];
		header_handle?: string[];
		body_text?: string[][];
		body_text_named_params?: { param_name?: string; example?: string }[];
	};
	buttons?: GraphTemplateButton[];
}

interface GraphTemplate {
	id?: string;
	name?: string;
	language?: string;
	status?: string;
	category?: string;
	rejected_reason?: string;
	components?: GraphTemplateComponent[];
}

/** Placeholders of a text with Graph's examples (positional by place, named by name). */
function variablesWithExamples(
	text: string,
	positional: (string | undefined)[],
	named: { param_name?: string; example?: string }[] | undefined
): TemplateVariable[] {
	const byName = new Map((named ?? []).map((param) => [param.param_name, param.example]));
	return templatePlaceholders(text).map((key) => ({
		key,
		example: /^\d+$/.test(key) ? (positional[Number(key) - 1] ?? null) : (byName.get(key) ?? null)
	}));
}

const headerFormats = new Set(['text', 'image', 'video', 'document', 'location']);

/** A Graph template button as stored; a URL's example is the whole address, kept as its suffix. */
function buttonFromGraph(button: GraphTemplateButton): TemplateButton {
	const type = (button.type ?? '').toUpperCase();
	const text = button.text ?? '';
	if (type === 'URL') {
		const url = button.url ?? '';
		const example = [button.example ?? []].flat()[0];
		const prefix = url.split('{{')[0];
		return {
			type: 'url',
			text,
			url,
			variables: templatePlaceholders(url).map((key) => ({
				key,
				example: example
					? example.startsWith(prefix)
						? example.slice(prefix.length)
						: example
					: null
			}))
		};
	}
	if (type === 'PHONE_NUMBER')
		return { type: 'phone_number', text, phone_number: button.phone_number ?? null };
	if (type === 'QUICK_REPLY') return { type: 'quick_reply', text };
	if (type === 'COPY_CODE') return { type: 'copy_code', text: text || 'Copy code' };
	return { type: 'other', text };
}

/** A Graph message template as stored; one without a body or an id is skipped. */
function templateFromGraph(entry: GraphTemplate): ProviderTemplate | undefined {
	const component = (type: string) =>
		entry.components?.find((candidate) => candidate.type?.toUpperCase() === type);
	const body = component('BODY');
	if (!entry.id || !entry.name || !body?.text) return undefined;
	const header = component('HEADER');
	const format = header ? (header.format ?? 'TEXT').toLowerCase() : null;
	const headerFormat =
		format && headerFormats.has(format) ? (format as TemplateHeaderFormat) : null;
	const headerText = headerFormat === 'text' ? (header?.text ?? null) : null;
	return {
		provider_template_id: entry.id,
		name: entry.name,
		language: entry.language ?? 'en_US',
		category: entry.category ?? null,
		status: (entry.status ?? 'unknown').toLowerCase(),
		rejection_reason:
			entry.rejected_reason && entry.rejected_reason !== 'NONE' ? entry.rejected_reason : null,
		header: headerText,
		header_format: headerFormat,
		header_variables: headerText
			? variablesWithExamples(
					headerText,
					header?.example?.header_text ?? [],
					header?.example?.header_text_named_params
				)
			: [],
		body: body.text,
		footer: component('FOOTER')?.text ?? null,
		variables: variablesWithExamples(
			body.text,
			body.example?.body_text?.[0] ?? [],
			body.example?.body_text_named_params
		),
		buttons: (component('BUTTONS')?.buttons ?? []).map(buttonFromGraph)
	};
}
