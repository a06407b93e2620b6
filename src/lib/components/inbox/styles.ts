/** The conversation page's secondary buttons (status, AI switch, insights, dialogs). */
export const SECONDARY_BUTTON =
	'inline-flex items-center gap-1.5 rounded-lg border border-slate-300 bg-white px-2.5 py-1.5 text-sm sm:px-3 font-medium text-slate-700 hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-brand-600 disabled:opacity-60';
