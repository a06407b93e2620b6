import { StorageError } from './errors.ts';

/** The stack-wide upload limit: `file_size_limit` of supabase/config.toml's [storage] (50 MiB). */
export const globalFileSizeLimit = 50 * 1024 * 1024;

const units: Record<string, number> = {
	'': 1,
	b: 1,
	kb: 1000,
	kib: 1024,
	mb: 1000 ** 2,
	mib: 1024 ** 2,
	gb: 1000 ** 3,
	gib: 1024 ** 3
};

/** A bucket's `file_size_limit` as bytes: a number, or a size such as "5MB" or "500KiB". */
export function parseFileSizeLimit(value: number | string | null | undefined): number | null {
	if (value === null || value === undefined || value === '') return null;
	if (typeof value === 'number') return value > 0 ? Math.floor(value) : null;
	const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
	const unit = match ? units[match[2].toLowerCase()] : undefined;
	if (!match || unit === undefined) {
		throw new StorageError(
			400,
			'InvalidRequest',
			'invalid_request',
			`The file size limit "${value}" is not a size; give bytes or a size such as 5MB.`
		);
	}
	return Math.floor(Number(match[1]) * unit);
}

/** The bare `type/subtype`, lowercased. */
function essence(contentType: string): string {
	return contentType.split(';')[0].trim().toLowerCase();
}

/** 413 / 415 when an upload is outside its bucket's limits, as storage-api answers them. */
export function checkUploadLimits(
	bucket: { file_size_limit: number | null; allowed_mime_types: string[] | null },
	size: number,
	contentType: string
): void {
	const limit = Math.min(bucket.file_size_limit ?? globalFileSizeLimit, globalFileSizeLimit);
	if (size > limit) {
		throw new StorageError(
			413,
			'EntityTooLarge',
			'Payload too large',
			'The object exceeded the maximum allowed size'
		);
	}
	const allowed = bucket.allowed_mime_types ?? [];
	if (allowed.length === 0) return;
	const type = essence(contentType);
	const fits = allowed.some((pattern) => {
		const wanted = essence(pattern);
		return wanted.endsWith('/*') ? type.startsWith(wanted.slice(0, -1)) : wanted === type;
	});
	if (!fits) {
		throw new StorageError(
			415,
			'InvalidMimeType',
			'invalid_mime_type',
			`mime type ${contentType} is not supported`
		);
	}
}
