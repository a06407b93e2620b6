import { z } from 'zod';

/** Sign-in form: what the server accepts before asking Supabase. */
export const signInSchema = z.object({
	email: z
		.string()
		.trim()
		.toLowerCase()
		.pipe(z.email('Enter a valid email address, like name@company.com.')),
	password: z.string().min(1, 'Enter your password.')
});

/** Sign-up form: the same email rule, a password Supabase will accept, and a name people see. */
export const signUpSchema = z.object({
	displayName: z
		.string()
		.trim()
		.min(1, 'Enter your name as teammates should see it.')
		.max(80, 'Keep your name under 80 characters.'),
	email: signInSchema.shape.email,
	password: z.string().min(8, 'Use at least 8 characters for your password.')
});

/** One message per field of a schema's form that needs fixing. */
export type FieldErrors<Schema extends z.ZodObject> = Partial<
	Record<keyof z.output<Schema> & string, string>
>;

/** What a failed form action returns: what was typed (never a password), field errors, a form-level sentence. */
export interface FormFailure<Schema extends z.ZodObject> {
	values: Partial<Record<keyof z.output<Schema> & string, string>>;
	errors: FieldErrors<Schema>;
	message: string | null;
}

/** The result of reading a form: the parsed values, or one message per field that needs fixing. */
export type FormParse<T> =
	{ ok: true; data: T } | { ok: false; errors: Partial<Record<keyof T & string, string>> };

/** Validates a submitted form against a schema, keeping the first message for each field. */
export function parseForm<Schema extends z.ZodObject>(
	schema: Schema,
	formData: FormData
): FormParse<z.output<Schema>> {
	const input: Record<string, string> = {};
	for (const key of Object.keys(schema.shape)) {
		const value = formData.get(key);
		input[key] = typeof value === 'string' ? value : '';
	}
	const result = schema.safeParse(input);
	if (result.success) return { ok: true, data: result.data };
	const errors: Record<string, string> = {};
	for (const issue of result.error.issues) {
		const field = String(issue.path[0] ?? '');
		if (field && !(field in errors)) errors[field] = issue.message;
	}
	return { ok: false, errors: errors as Partial<Record<keyof z.output<Schema> & string, string>> };
}

/** A form field's submitted text, for echoing back what the person typed (never a password). */
export function formText(formData: FormData, name: string): string {
	const value = formData.get(name);
	return typeof value === 'string' ? value : '';
}
