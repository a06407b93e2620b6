import type { ParamMatcher } from '@sveltejs/kit';
import { isUuid } from '$lib/ids';

/** A route segment that names a row by id: anything else is a 404 before any load runs. */
export const match = ((param: string): param is string => isUuid(param)) satisfies ParamMatcher;
