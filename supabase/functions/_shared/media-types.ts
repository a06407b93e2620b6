/**
 * Which customer attachments may be shown inside the app, decided in one place for the
 * whatsapp-media function and the chat page. Only inert media (raster images, audio, video) is
 * shown inline; everything else — HTML, SVG, XML, scripts, PDF, unknown or missing types — is only
 * ever a download, because a document of the app's origin (or of the functions' origin) that a
 * customer wrote could run script as the signed-in person. PDF is a download too: browsers show it
 * through a viewer with its own script and form engine, which is not ours to vouch for.
 * No imports, so the app uses this very module through `$shared`.
 */

/** How an attachment is presented: inline as one of the inert kinds, or only as a download. */
export type MediaPresentation = 'image' | 'audio' | 'video' | 'download';

/** The type every download is served and stored as, so no browser renders it. */
export const DOWNLOAD_MEDIA_TYPE = 'application/octet-stream';

/** The inert types browsers render without any script, and how each is shown. Not SVG: it is a document. */
const INLINE_MEDIA_TYPES: Readonly<Record<string, Exclude<MediaPresentation, 'download'>>> = {
	'image/png': 'image',
	'image/jpeg': 'image',
	'image/gif': 'image',
	'image/webp': 'image',
	'audio/aac': 'audio',
	'audio/amr': 'audio',
	'audio/mp4': 'audio',
	'audio/mpeg': 'audio',
	'audio/ogg': 'audio',
	'audio/opus': 'audio',
	'audio/wav': 'audio',
	'audio/webm': 'audio',
	'audio/x-m4a': 'audio',
	'video/3gpp': 'video',
	'video/mp4': 'video',
	'video/quicktime': 'video',
	'video/webm': 'video'
};

/** The bare `type/subtype` of a Content-Type, lowercased, without parameters; '' when absent. */
export function mediaTypeEssence(contentType: string | null | undefined): string {
	return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/** How an attachment of this Content-Type is presented; anything not known to be inert is a download. */
export function mediaPresentation(contentType: string | null | undefined): MediaPresentation {
	return Object.hasOwn(INLINE_MEDIA_TYPES, mediaTypeEssence(contentType))
		? INLINE_MEDIA_TYPES[mediaTypeEssence(contentType)]
		: 'download';
}

/** The Content-Type to serve or store an attachment as: its own when inert, else octet-stream. */
export function servedMediaType(contentType: string | null | undefined): string {
	return mediaPresentation(contentType) === 'download'
		? DOWNLOAD_MEDIA_TYPE
		: mediaTypeEssence(contentType);
}

/** RFC 8187 value characters: what encodeURIComponent leaves but the header grammar does not. */
function encodeHeaderValue(value: string): string {
	return encodeURIComponent(value).replace(
		/['()*]/g,
		(character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`
	);
}

// Control characters and path separators never belong in a saved file's name.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_FILENAME_CHARACTERS = /[\u0000-\u001f\u007f/\\]/g;

/**
 * The Content-Disposition for an attachment: `attachment` for downloads (the browser saves it,
 * never opens it), `inline` for inert media. The name is given twice: a plain ASCII fallback and
 * the exact UTF-8 name (RFC 6266); a download without one is called `attachment`.
 */
export function mediaContentDisposition(
	contentType: string | null | undefined,
	filename: string | null | undefined
): string {
	const disposition = mediaPresentation(contentType) === 'download' ? 'attachment' : 'inline';
	const name =
		(filename ?? '').replace(UNSAFE_FILENAME_CHARACTERS, '').trim() ||
		(disposition === 'attachment' ? 'attachment' : '');
	if (!name) return disposition;
	const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["%]/g, '_');
	return `${disposition}; filename="${ascii}"; filename*=UTF-8''${encodeHeaderValue(name)}`;
}
