import { RestError } from './errors.ts';

/** Prefer header tokens PostgREST understands. */
export interface Preferences {
	return?: 'representation' | 'minimal' | 'headers-only';
	count?: 'exact' | 'planned' | 'estimated';
	resolution?: 'merge-duplicates' | 'ignore-duplicates';
	missing?: 'default' | 'null';
	tx?: 'commit' | 'rollback';
	handling?: 'strict' | 'lenient';
	maxAffected?: number;
	/** A time zone for the request's transaction (PostgreSQL's TimeZone setting). */
	timezone?: string;
	/** Tokens as they were applied, for the Preference-Applied header. */
	applied: string[];
}

const preferenceValues: Record<string, string[]> = {
	return: ['representation', 'minimal', 'headers-only'],
	count: ['exact', 'planned', 'estimated'],
	resolution: ['merge-duplicates', 'ignore-duplicates'],
	missing: ['default', 'null'],
	tx: ['commit', 'rollback'],
	handling: ['strict', 'lenient']
};

/** Parses Prefer headers: comma-separated, first occurrence of a key wins. */
export function parsePrefer(header: string | null): Preferences {
	const prefs: Preferences = { applied: [] };
	const invalid: string[] = [];
	const seen = new Set<string>();
	for (const token of (header ?? '')
		.split(',')
		.map((t) => t.trim())
		.filter(Boolean)) {
		const [key, value = ''] = token.split('=').map((t) => t.trim());
		if (seen.has(key)) continue;
		if (key === 'max-affected' && /^\d+$/.test(value)) {
			seen.add(key);
			prefs.maxAffected = Number(value);
		} else if (key === 'timezone' && isTimeZone(value)) {
			seen.add(key);
			prefs.timezone = value;
			prefs.applied.push(`${key}=${value}`);
		} else if (preferenceValues[key]?.includes(value)) {
			seen.add(key);
			(prefs as unknown as Record<string, string>)[key] = value;
			prefs.applied.push(`${key}=${value}`);
		} else invalid.push(token);
	}
	if (prefs.handling === 'strict' && invalid.length) {
		throw new RestError(
			400,
			'PGRST122',
			'Invalid preferences given with handling=strict',
			`Invalid preferences: ${invalid.join(', ')}`
		);
	}
	return prefs;
}

/** Whether `name` is an IANA time zone; PostgREST ignores others (or refuses them when strict). */
function isTimeZone(name: string): boolean {
	if (!name) return false;
	try {
		new Intl.DateTimeFormat('en', { timeZone: name });
		return true;
	} catch {
		return false;
	}
}

/** Parses a `Range: 0-19` header into offset and limit. */
export function parseRangeHeader(
	header: string | null
): { offset: number; limit?: number } | undefined {
	if (!header) return undefined;
	const match = /^(?:items=)?(\d+)-(\d*)$/.exec(header.trim());
	if (!match) return undefined;
	const offset = Number(match[1]);
	if (match[2] === '') return { offset };
	const upper = Number(match[2]);
	if (upper < offset)
		throw new RestError(
			416,
			'PGRST103',
			'Requested range not satisfiable',
			`The lower boundary must be lower than or equal to the upper boundary in the Range header.`
		);
	return { offset, limit: upper - offset + 1 };
}
