import { expect, test, type WebSocket } from '@playwright/test';
import { DEMO_PEOPLE, openPage, signIn } from './support/workspace.ts';

// One Realtime socket per tab, one join per topic, however many parts of the page listen: the
// numbers and the inbox share tenant:<id>; the nav's unread badge and the notifications page
// share user:<id>. Counted from the frames the browser sends, as the server would see them.

const ACME = '0b000000-0000-4000-8000-000000000001';

/** The topic a frame joins, if it is a join (Phoenix's v1 objects or v2 arrays). */
function joinedTopic(frame: string | Buffer): string | null {
	if (typeof frame !== 'string') return null;
	const message: unknown = JSON.parse(frame);
	if (Array.isArray(message)) return message[3] === 'phx_join' ? String(message[2]) : null;
	const { event, topic } = message as { event?: string; topic?: string };
	return event === 'phx_join' ? String(topic) : null;
}

test('the WhatsApp page and the notifications after it share one socket and join each topic once', async ({
	page
}) => {
	// Signing in lands in the only workspace, whose page opens its own socket: once it is live,
	// count from the next page load on.
	await signIn(page, DEMO_PEOPLE.owner.email);
	await expect(page).toHaveURL(/\/app\/acme\/whatsapp$/);
	await expect(page.getByTestId('inbox-live-status')).toHaveAttribute('data-status', 'live');
	const sockets: WebSocket[] = [];
	const joins: string[] = [];
	page.on('websocket', (socket) => {
		if (!socket.url().includes('/realtime/v1/')) return;
		sockets.push(socket);
		socket.on('framesent', ({ payload }) => {
			const topic = joinedTopic(payload);
			if (topic) joins.push(topic);
		});
	});

	await openPage(page, '/app/acme/whatsapp');
	await expect(page.getByTestId('live-status')).toHaveAttribute('data-status', 'live');
	await expect(page.getByTestId('inbox-live-status')).toHaveAttribute('data-status', 'live');
	const tenantTopic = `realtime:tenant:${ACME}`;
	const userTopic = `realtime:user:${DEMO_PEOPLE.owner.id}`;
	await expect.poll(() => joins.includes(userTopic)).toBe(true);
	expect(joins.toSorted()).toEqual([tenantTopic, userTopic]);

	// In the app (no reload): the notifications page listens to user:<id> beside the nav's badge.
	await page.getByRole('link', { name: /^Notifications/ }).click();
	await expect(page).toHaveURL(/\/whatsapp\/notifications$/);
	await expect(page.getByTestId('notifications-live-status')).toHaveAttribute(
		'data-status',
		'live'
	);
	expect(joins.filter((topic) => topic === userTopic)).toHaveLength(1);
	expect(sockets).toHaveLength(1);
	expect(sockets[0].isClosed()).toBe(false);
});
