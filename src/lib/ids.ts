const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a row id: Postgres refuses anything else in a uuid column with a 500. */
export function isUuid(value: string): boolean {
	return UUID.test(value);
}
