import { error } from '@sveltejs/kit';
import { contactLabel, loadInboxRow } from '$lib/inbox/conversations';
import { listCannedResponses } from '$lib/inbox/canned-responses';
import { listLabels } from '$lib/inbox/labels';
import { loadThreadPage } from '$lib/inbox/messages';
import { loadConversationNotes } from '$lib/inbox/notes';
import { messageReactionSchema } from '$lib/inbox/types';
import { listMembers } from '$lib/members/tenancy';
import type { PageServerLoad } from './$types';
import { isUuid } from '$lib/ids';

export const load: PageServerLoad = async ({ locals, params, parent }) => {
	// Not an id, not in this workspace, or not visible: the same 404 either way.
	if (!isUuid(params.id)) error(404, 'Not found');
	const { tenant } = await parent();
	const conversation = await loadInboxRow(locals.supabase, tenant.id, params.id);
	if (!conversation) error(404, 'Not found');
	const [thread, reactions, members, notes, cannedResponses, labels] = await Promise.all([
		loadThreadPage(locals.supabase, conversation.id),
		locals.supabase
			.from('message_reactions')
			.select('id, message_id, target_provider_id, reactor, emoji')
			.eq('conversation_id', conversation.id),
		listMembers(locals.supabase, tenant.id),
		loadConversationNotes(locals.supabase, conversation.id),
		// The composer's `/` picker works without them; a failed read only leaves it empty.
		listCannedResponses(locals.supabase, tenant.id).catch((failure: unknown) => {
			console.error(failure);
			return [];
		}),
		// Without them the header shows no chips; the chat itself works.
		listLabels(locals.supabase, tenant.id).catch((failure: unknown) => {
			console.error(failure);
			return [];
		})
	]);
	if (reactions.error) console.error(reactions.error);
	return {
		title: contactLabel(conversation),
		conversation,
		thread,
		reactions: messageReactionSchema.array().parse(reactions.data ?? []),
		memberNames: members.map((member) => [member.userId, member.displayName] as [string, string]),
		notes,
		cannedResponses,
		labels,
		now: Date.now()
	};
};
