/**
 * How a message's delivery status may move, as the database decides it
 * (`public.message_status_advances`): forward only, whatever order callbacks arrive in; `failed`
 * wins over queued and sent; a `delivered` or `read` after `failed` (another of the customer's
 * devices) ends on the better status. Import-free: the app uses it through `$shared`.
 */

export type MessageStatus = 'received' | 'queued' | 'sent' | 'delivered' | 'read' | 'failed';

/** queued < sent < delivered < read; `received` is an inbound message's only status. */
const rank: Record<MessageStatus, number> = {
	received: 0,
	queued: 1,
	sent: 2,
	delivered: 3,
	read: 4,
	failed: 5
};

/** Whether a message at `current` moves to `next` when a status for it arrives. */
export function messageStatusAdvances(current: MessageStatus, next: MessageStatus): boolean {
	if (current === 'failed') return next === 'delivered' || next === 'read';
	if (next === 'failed') return current === 'queued' || current === 'sent';
	return rank[next] > rank[current];
}
