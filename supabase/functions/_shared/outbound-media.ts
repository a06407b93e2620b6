/**
 * What an agent may attach to a WhatsApp message, decided in one place for the composer (checked
 * before uploading) and whatsapp-send (checked again before storing or sending). The types and
 * sizes are WhatsApp's (Meta Cloud API: images JPEG/PNG up to 5 MB, video MP4/3GPP and audio up to
 * 16 MB, documents up to 100 MB) and Twilio's for WhatsApp (16 MB a message, images 5 MB; PDF and
 * Office documents only, and no caption on a document). Every refusal is a sentence a person reads.
 * No imports, so the app uses this very module through `$shared`.
 */

/** The WhatsApp message kinds an attachment is sent as. */
export const outboundMediaKinds = ['image', 'video', 'audio', 'document'] as const;
export type OutboundMediaKind = (typeof outboundMediaKinds)[number];

export type OutboundMediaProvider = 'twilio' | 'meta';

const MB = 1024 * 1024;

/** The attachment types WhatsApp takes, by kind, with the names people know them by. */
const KINDS: Readonly<
	Record<OutboundMediaKind, { types: Readonly<Record<string, string>>; noun: string }>
> = {
	image: { noun: 'Images', types: { 'image/jpeg': 'JPEG', 'image/png': 'PNG' } },
	video: { noun: 'Videos', types: { 'video/mp4': 'MP4', 'video/3gpp': '3GPP' } },
	audio: {
		noun: 'Audio files',
		types: {
			'audio/aac': 'AAC',
			'audio/mp4': 'M4A',
			'audio/mpeg': 'MP3',
			'audio/amr': 'AMR',
			'audio/ogg': 'OGG'
		}
	},
	document: {
		noun: 'Documents',
		types: {
			'application/pdf': 'PDF',
			'application/msword': 'Word',
			'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'Word',
			'application/vnd.ms-excel': 'Excel',
			'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'Excel',
			'application/vnd.ms-powerpoint': 'PowerPoint',
			'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'PowerPoint',
			'text/plain': 'text'
		}
	}
};

/** Documents Twilio sends on WhatsApp: PDF and the Office formats its guide lists. */
const TWILIO_DOCUMENT_TYPES = new Set([
	'application/pdf',
	'application/msword',
	'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
	'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
	'application/vnd.openxmlformats-officedocument.presentationml.presentation'
]);

/** The largest file of each kind each provider sends, in bytes. */
export const OUTBOUND_MEDIA_MAX_BYTES: Readonly<
	Record<OutboundMediaProvider, Readonly<Record<OutboundMediaKind, number>>>
> = {
	meta: { image: 5 * MB, video: 16 * MB, audio: 16 * MB, document: 100 * MB },
	twilio: { image: 5 * MB, video: 16 * MB, audio: 16 * MB, document: 16 * MB }
};

/** WhatsApp's longest caption (the Cloud API's limit for image, video and document captions). */
export const OUTBOUND_CAPTION_MAX_CHARACTERS = 1024;

/** The largest attachment any provider takes: what whatsapp-send reads at most. */
export const OUTBOUND_MEDIA_LARGEST_BYTES = 100 * MB;

/** Extensions for files the browser gives no type (or a vague one) — common on Windows for Office. */
const TYPE_BY_EXTENSION: Readonly<Record<string, string>> = {
	jpg: 'image/jpeg',
	jpeg: 'image/jpeg',
	png: 'image/png',
	mp4: 'video/mp4',
	'3gp': 'video/3gpp',
	aac: 'audio/aac',
	m4a: 'audio/mp4',
	mp3: 'audio/mpeg',
	amr: 'audio/amr',
	ogg: 'audio/ogg',
	opus: 'audio/ogg',
	pdf: 'application/pdf',
	doc: 'application/msword',
	docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
	xls: 'application/vnd.ms-excel',
	xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
	ppt: 'application/vnd.ms-powerpoint',
	pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
	txt: 'text/plain'
};

/** What the file picker offers: every type and extension some provider takes. */
export const OUTBOUND_MEDIA_ACCEPT = [
	...Object.values(KINDS).flatMap((kind) => Object.keys(kind.types)),
	...Object.keys(TYPE_BY_EXTENSION).map((extension) => `.${extension}`)
].join(',');

/**
 * The type an attachment is sent as: the browser's own when WhatsApp knows it, else the one its
 * extension names (browsers leave Office files and some audio untyped), else the browser's.
 */
export function outboundMediaType(declaredType: string, filename: string): string {
	const declared = declaredType.split(';')[0].trim().toLowerCase();
	if (outboundMediaKind(declared)) return declared;
	const extension = filename.toLowerCase().split('.').at(-1) ?? '';
	return (filename.includes('.') && TYPE_BY_EXTENSION[extension]) || declared;
}

/** The kind an attachment of this type is sent as, or undefined when WhatsApp does not take it. */
export function outboundMediaKind(mimeType: string): OutboundMediaKind | undefined {
	return outboundMediaKinds.find((kind) => Object.hasOwn(KINDS[kind].types, mimeType));
}

/** A size as people say it: "23 MB", "1.5 MB", "800 KB". */
export function describeSize(bytes: number): string {
	if (bytes >= MB) {
		const megabytes = bytes / MB;
		return `${megabytes >= 10 ? Math.round(megabytes) : Math.round(megabytes * 10) / 10} MB`;
	}
	return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

const providerName: Record<OutboundMediaProvider, string> = {
	meta: 'WhatsApp',
	twilio: 'WhatsApp through Twilio'
};

/** What a file is sent as, or why it cannot be. */
export type OutboundMediaCheck =
	| { ok: true; kind: OutboundMediaKind; mimeType: string }
	| { ok: false; reason: 'type' | 'size' | 'empty' | 'caption'; sentence: string };

/** The type names a provider takes, for a refusal: "JPEG, PNG, MP4, …". */
function acceptedNames(provider: OutboundMediaProvider): string {
	const names = new Set<string>();
	for (const kind of outboundMediaKinds) {
		for (const [type, name] of Object.entries(KINDS[kind].types)) {
			if (kind === 'document' && provider === 'twilio' && !TWILIO_DOCUMENT_TYPES.has(type))
				continue;
			names.add(name);
		}
	}
	return [...names].join(', ');
}

/**
 * Whether this file can go to a customer through this provider, with `caption` the text typed
 * with it: the type, the provider's size for its kind, and where a caption cannot travel with it.
 */
export function checkOutboundMedia(
	provider: OutboundMediaProvider,
	file: { type: string; name: string; size: number },
	caption?: string
): OutboundMediaCheck {
	const mimeType = outboundMediaType(file.type, file.name);
	const kind = outboundMediaKind(mimeType);
	const twilioRefusesDocument =
		kind === 'document' && provider === 'twilio' && !TWILIO_DOCUMENT_TYPES.has(mimeType);
	if (!kind || twilioRefusesDocument) {
		return {
			ok: false,
			reason: 'type',
			sentence: `${providerName[provider]} cannot send “${file.name}” (${mimeType || 'unknown type'}). Attach ${acceptedNames(provider)} files.`
		};
	}
	if (file.size === 0) {
		return {
			ok: false,
			reason: 'empty',
			sentence: `“${file.name}” is empty. Attach a file with something in it.`
		};
	}
	const limit = OUTBOUND_MEDIA_MAX_BYTES[provider][kind];
	if (file.size > limit) {
		return {
			ok: false,
			reason: 'size',
			sentence: `${KINDS[kind].noun} can be at most ${describeSize(limit)} on ${providerName[provider]}; this one is ${describeSize(file.size) === describeSize(limit) ? 'a little larger' : describeSize(file.size)}.`
		};
	}
	const hasCaption = (caption ?? '').trim().length > 0;
	if (hasCaption && kind === 'audio') {
		return {
			ok: false,
			reason: 'caption',
			sentence:
				'WhatsApp shows no text with a voice or audio message. Send the text as its own message.'
		};
	}
	if (hasCaption && kind === 'document' && provider === 'twilio') {
		return {
			ok: false,
			reason: 'caption',
			sentence:
				'Twilio sends no text with a document on WhatsApp. Send the text as its own message.'
		};
	}
	if ((caption ?? '').trim().length > OUTBOUND_CAPTION_MAX_CHARACTERS) {
		return {
			ok: false,
			reason: 'caption',
			sentence: `A caption can be at most ${OUTBOUND_CAPTION_MAX_CHARACTERS} characters on WhatsApp. Shorten it, or send the text as its own message.`
		};
	}
	return { ok: true, kind, mimeType };
}
