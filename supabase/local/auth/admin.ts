import { z } from 'zod';
import { json } from '../http.ts';
import { pickRedirect } from './config.ts';
import { requireAdmin, type AuthEnv } from './env.ts';
import { AuthApiError } from './errors.ts';
import { createEmailLink, readCodeChallenge, type EmailLink, type LinkType } from './links.ts';
import {
	metadata,
	optionalText,
	parseBanDuration,
	parseBody,
	redirectParam,
	validEmail,
	type AuthCall,
	type AuthRoute,
	type Outcome
} from './requests.ts';
import { endSessions } from './sessions.ts';
import {
	findUserByEmail,
	findUserById,
	findUserByPhone,
	hashPassword,
	insertUser,
	mergeMetadata,
	syncEmailIdentity,
	updateUser,
	userJson,
	type UserChanges,
	type UserRow
} from './users.ts';

const adminUserBody = z.looseObject({
	id: optionalText,
	email: optionalText,
	phone: optionalText,
	password: optionalText,
	email_confirm: z.boolean().nullish(),
	phone_confirm: z.boolean().nullish(),
	user_metadata: metadata,
	app_metadata: metadata,
	role: optionalText,
	ban_duration: optionalText
});
const generateLinkBody = z.looseObject({
	type: z.string(),
	email: z.string(),
	password: optionalText,
	data: metadata,
	redirect_to: optionalText,
	redirectTo: optionalText
});

/** The endpoints of `supabase.auth.admin` (service_role only): users, invitations and links. */
export function adminRoutes(env: AuthEnv): AuthRoute[] {
	const { config, authUrl } = env;

	async function invite({ request, body }: AuthCall): Promise<Outcome> {
		await requireAdmin(request);
		const email = validEmail(typeof body.email === 'string' ? body.email : '');
		const data = parseBody(z.looseObject({ data: metadata }), body).data;
		const pkce = readCodeChallenge(body);
		return env.transaction(async (tx) => {
			let user = await findUserByEmail(tx, email);
			if (user?.email_confirmed_at) {
				throw new AuthApiError(
					422,
					'email_exists',
					'A user with this email address has already been registered'
				);
			}
			user ??= await insertUser(tx, { email, userMetadata: data ?? {}, invited: true });
			const send = await env.mailLink(
				tx,
				user,
				'invite',
				pickRedirect(config, redirectParam(request)),
				pkce
			);
			const invited = (await findUserById(tx, user.id)) as UserRow;
			return { response: json(await userJson(tx, invited)), afterCommit: send };
		});
	}

	async function generateLink({ request, body }: AuthCall): Promise<Outcome> {
		await requireAdmin(request);
		const params = parseBody(generateLinkBody, body);
		const type = params.type as LinkType;
		if (!['signup', 'invite', 'magiclink', 'recovery'].includes(type)) {
			throw new AuthApiError(
				400,
				'validation_failed',
				`Invalid email action link type requested: ${params.type}; the local stack makes signup, invite, magiclink and recovery links`
			);
		}
		const email = validEmail(params.email);
		const redirectTo = pickRedirect(
			config,
			redirectParam(request),
			params.redirect_to,
			params.redirectTo
		);
		// Not in GoTrue's admin API: a code challenge here makes a PKCE link, as signInWithOtp would.
		const pkce = readCodeChallenge(body);
		let passwordHash: string | undefined;
		if (type === 'signup') {
			if (!params.password)
				throw new AuthApiError(422, 'validation_failed', 'Signup requires a valid password');
			env.checkPassword(params.password);
			passwordHash = await hashPassword(params.password);
		}
		return env.transaction(async (tx) => {
			let user = await findUserByEmail(tx, email);
			let linkType = type;
			if (!user) {
				if (type === 'recovery')
					throw new AuthApiError(404, 'user_not_found', 'User with this email not found');
				// A magic link for an unknown address signs the user up, as GoTrue does.
				if (type === 'magiclink') linkType = 'signup';
				user = await insertUser(tx, {
					email,
					passwordHash,
					userMetadata: params.data ?? {},
					invited: type === 'invite'
				});
			} else if ((type === 'invite' || type === 'signup') && user.email_confirmed_at) {
				throw new AuthApiError(
					422,
					'email_exists',
					'A user with this email address has already been registered'
				);
			} else if (type === 'signup' && params.data) {
				user = await updateUser(tx, user.id, {
					userMetadata: mergeMetadata(user.raw_user_meta_data, params.data)
				});
			}
			const link: EmailLink = await createEmailLink(tx, {
				user,
				type: linkType,
				redirectTo,
				authUrl,
				config,
				pkce
			});
			const fresh = (await findUserById(tx, user.id)) as UserRow;
			return {
				response: json({
					...(await userJson(tx, fresh)),
					action_link: link.actionLink,
					email_otp: link.emailOtp,
					hashed_token: link.hashedToken,
					verification_type: linkType,
					redirect_to: link.redirectTo
				})
			};
		});
	}

	async function createUser({ request, body }: AuthCall): Promise<Outcome> {
		await requireAdmin(request);
		const params = parseBody(adminUserBody, body);
		const email = params.email ? validEmail(params.email) : null;
		if (!email && !params.phone) {
			throw new AuthApiError(
				400,
				'validation_failed',
				'Creating a user requires an email or a phone number'
			);
		}
		if (params.password) env.checkPassword(params.password);
		const passwordHash = params.password ? await hashPassword(params.password) : null;
		const banMs =
			params.ban_duration && params.ban_duration !== 'none'
				? parseBanDuration(params.ban_duration)
				: 0;
		return env.transaction(async (tx) => {
			if (email && (await findUserByEmail(tx, email))) {
				throw new AuthApiError(
					422,
					'email_exists',
					'A user with this email address has already been registered'
				);
			}
			if (params.phone && (await findUserByPhone(tx, params.phone))) {
				throw new AuthApiError(
					422,
					'phone_exists',
					'A user with this phone number has already been registered'
				);
			}
			const user = await insertUser(tx, {
				id: params.id ?? undefined,
				email,
				phone: params.phone ?? null,
				passwordHash,
				role: params.role ?? null,
				emailConfirmed: Boolean(params.email_confirm),
				phoneConfirmed: Boolean(params.phone_confirm),
				appMetadata: mergeMetadata({}, params.app_metadata),
				userMetadata: mergeMetadata({}, params.user_metadata),
				bannedUntil: banMs ? new Date(Date.now() + banMs) : null
			});
			return { response: json(await userJson(tx, user)) };
		});
	}

	async function listUsers({ request }: AuthCall): Promise<Outcome> {
		await requireAdmin(request);
		const query = new URL(request.url).searchParams;
		const page = Math.max(1, Number.parseInt(query.get('page') || '1', 10) || 1);
		const perPage = Math.min(
			1000,
			Math.max(1, Number.parseInt(query.get('per_page') || '50', 10) || 50)
		);
		return env.transaction(async (tx) => {
			const total = Number(
				(
					await tx.query<{ count: string | number }>(
						"select count(*) as count from auth.users where aud = 'authenticated'"
					)
				).rows[0].count
			);
			const { rows } = await tx.query<UserRow>(
				`select * from auth.users where aud = 'authenticated' order by created_at desc, id limit $1 offset $2`,
				[perPage, (page - 1) * perPage]
			);
			const users = [];
			for (const row of rows) users.push(await userJson(tx, row));
			const lastPage = Math.ceil(total / perPage);
			const pageLink = (n: number) => `</admin/users?page=${n}&per_page=${perPage}>`;
			const links = [
				...(lastPage > page ? [`${pageLink(page + 1)}; rel="next"`] : []),
				`${pageLink(lastPage)}; rel="last"`
			];
			return {
				response: json({ aud: 'authenticated', users }, 200, {
					'x-total-count': String(total),
					link: links.join(', ')
				})
			};
		});
	}

	async function getUser({ request, params: [id] }: AuthCall): Promise<Outcome> {
		await requireAdmin(request);
		return env.transaction(async (tx) => {
			const user = await findUserById(tx, id);
			if (!user) throw new AuthApiError(404, 'user_not_found', 'User not found');
			return { response: json(await userJson(tx, user)) };
		});
	}

	async function updateUserById({ request, body, params: [id] }: AuthCall): Promise<Outcome> {
		await requireAdmin(request);
		const params = parseBody(adminUserBody, body);
		if (params.password) env.checkPassword(params.password);
		const passwordHash = params.password ? await hashPassword(params.password) : undefined;
		const banMs =
			params.ban_duration && params.ban_duration !== 'none'
				? parseBanDuration(params.ban_duration)
				: null;
		return env.transaction(async (tx) => {
			const user = await findUserById(tx, id, true);
			if (!user) throw new AuthApiError(404, 'user_not_found', 'User not found');
			const changes: UserChanges = { passwordHash };
			if (params.email && params.email.toLowerCase() !== user.email) {
				const email = validEmail(params.email);
				if (await findUserByEmail(tx, email)) {
					throw new AuthApiError(
						422,
						'email_exists',
						'A user with this email address has already been registered'
					);
				}
				changes.email = email;
			}
			if (params.phone !== undefined && params.phone !== null) changes.phone = params.phone;
			if (params.role) changes.role = params.role;
			if (params.email_confirm) changes.emailConfirmed = true;
			if (params.phone_confirm) changes.phoneConfirmed = true;
			if (params.user_metadata)
				changes.userMetadata = mergeMetadata(user.raw_user_meta_data, params.user_metadata);
			if (params.app_metadata)
				changes.appMetadata = mergeMetadata(user.raw_app_meta_data, params.app_metadata);
			if (params.ban_duration === 'none') changes.bannedUntil = null;
			else if (banMs) changes.bannedUntil = new Date(Date.now() + banMs);
			const updated = await updateUser(tx, id, changes);
			if (changes.email || changes.emailConfirmed) await syncEmailIdentity(tx, updated);
			// A banned user's sessions end now, so realtime and every client drop them.
			const ended = banMs ? await endSessions(tx, id, 'global', null) : [];
			return { response: json(await userJson(tx, updated)), afterCommit: env.revoked(id, ended) };
		});
	}

	async function deleteUser({ request, params: [id] }: AuthCall): Promise<Outcome> {
		await requireAdmin(request);
		return env.transaction(async (tx) => {
			const user = await findUserById(tx, id, true);
			if (!user) throw new AuthApiError(404, 'user_not_found', 'User not found');
			const sessions = await tx.query<{ id: string }>(
				'select id from auth.sessions where user_id = $1',
				[id]
			);
			// A real delete (never soft) so `on delete cascade` in the app's schema fires.
			await tx.query('delete from auth.users where id = $1', [id]);
			return {
				response: json({}),
				afterCommit: env.revoked(
					id,
					sessions.rows.map((row) => row.id)
				)
			};
		});
	}

	const userPath = /^\/admin\/users\/([^/]+)$/;
	return [
		{ method: 'POST', path: '/invite', handle: invite },
		{ method: 'POST', path: '/admin/generate_link', handle: generateLink },
		{ method: 'GET', path: '/admin/users', handle: listUsers },
		{ method: 'POST', path: '/admin/users', handle: createUser },
		{ method: 'GET', path: userPath, handle: getUser },
		{ method: 'PUT', path: userPath, handle: updateUserById },
		{ method: 'DELETE', path: userPath, handle: deleteUser }
	];
}
