/** A short-lived message about what just happened. */
export interface Toast {
	id: number;
	kind: 'success' | 'error';
	message: string;
}

const SHOW_FOR_MS = { success: 4000, error: 8000 };

let nextId = 1;
const list = $state<Toast[]>([]);

/** The toasts on screen now (read by the Toaster). */
export function currentToasts(): readonly Toast[] {
	return list;
}

/** Hides a toast before its time (its close button). */
export function dismissToast(id: number): void {
	const index = list.findIndex((toast) => toast.id === id);
	if (index >= 0) list.splice(index, 1);
}

function show(kind: Toast['kind'], message: string): void {
	const id = nextId++;
	list.push({ id, kind, message });
	setTimeout(() => dismissToast(id), SHOW_FOR_MS[kind]);
}

/** Shows a toast; errors stay longer, since they usually ask the person to do something. */
export const toast = {
	success: (message: string) => show('success', message),
	error: (message: string) => show('error', message)
};
