import type { FormRefusal } from '$lib/whatsapp/forms';

/**
 * The state of a page that lists records and edits them in a modal form: which record the form
 * holds (null for a new one), whether it is open, and which one awaits a delete confirmation.
 */
export class RecordEditor<T> {
	formOpen = $state(false);
	editing = $state<T | null>(null);
	deleting = $state<T | null>(null);
	/** A new key per opening, so a `{#key}` around the form starts it fresh each time. */
	formKey = $state(0);

	open(record: T | null): void {
		this.editing = record;
		this.formKey++;
		this.formOpen = true;
	}

	close(): void {
		this.formOpen = false;
	}

	/**
	 * The save action's refusal, shown in the form while it is open. Only refusals carry `values`:
	 * a success's sentence was already a toast.
	 */
	refusal(form: unknown): FormRefusal | null {
		if (!this.formOpen || !form || typeof form !== 'object') return null;
		const answer = form as { action?: unknown; values?: unknown };
		// SvelteKit widens the action's values to `object`; they are the form's strings.
		return answer.action === 'save' && 'values' in answer ? (answer as FormRefusal) : null;
	}
}
