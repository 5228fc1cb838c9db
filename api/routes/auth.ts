/**
 * Member and mentor sign-in by one-time SMS code (issue 13): request a code, exchange it for an access token and
 * a refresh token, rotate the refresh token, log out. No API key: a client app calls these on behalf of a person.
 *
 * - `POST /auth/otp` answers the same 202 whether or not the phone is a member's (no enumeration). A member gets
 *   a 6-digit code (10 min, 5 guesses, single use; stored as an HMAC) by SMS through the messaging core
 *   (`message-signin:<code id>`, transactional, no quiet hours: the person just asked for it).
 * - Abuse limits before anything is sent: per phone (3 per 15 min, 10 per day) and per client address (20 per
 *   hour), counted in Postgres (429 with Retry-After); numbers that are not mobile-capable (premium-rate,
 *   shared-cost, toll-free, personal/UAN, fixed line, unknown ranges) are refused with a 400 and never texted.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { parsePhoneNumberFromString, type NumberType } from 'libphonenumber-js/max';
import type { SendSmsInput } from '../../activities/messaging.js';
import {
  checkSignInCode,
  createSession,
  issueSignInCode,
  mentorIdOf,
  revokeSessionByRefreshToken,
  rotateRefreshToken,
} from '../../db/auth.js';
import { findMemberByPhone } from '../../db/members.js';
import { hitRateLimit } from '../../db/rate-limits.js';
import { clientIp } from '../auth.js';
import type { AppDeps } from '../deps.js';
import { BODY_PROBLEMS, createRouter, jsonBody, jsonResponse, problems } from '../openapi.js';
import { HttpProblem } from '../problem.js';
import { e164 } from '../schemas/atoms.js';
import {
  hashRefreshToken,
  newRefreshToken,
  newSignInCode,
  REFRESH_TOKEN_PREFIX,
  type TokenScope,
  type TokenService,
} from '../tokens.js';
import { MESSAGE_WORKFLOW_TYPE, messageWorkflowId, signInCodeText, TASK_QUEUE } from '../workflows.js';
import { aboutSubject, subjectOfRecipient } from '../../workflows/lib/subject.js';

/** Number types a sign-in code may be texted to. Everything else (premium, shared cost, unknown…) is refused. */
export const TEXTABLE_NUMBER_TYPES: ReadonlySet<NumberType> = new Set<NumberType>([
  'MOBILE',
  'FIXED_LINE_OR_MOBILE',
  'VOIP',
]);

/** Why this number may not get a code, or null when it may. */
export function untextableReason(phone: string): string | null {
  const parsed = parsePhoneNumberFromString(phone);
  if (!parsed?.isValid()) return 'is not a valid phone number';
  const type = parsed.getType();
  if (type && TEXTABLE_NUMBER_TYPES.has(type)) return null;
  return `is not a mobile number that can receive a code (${type ? type.toLowerCase().replaceAll('_', '-') : 'unknown'} range)`;
}

const code = z
  .string()
  .regex(/^\d{6}$/, 'must be the 6 digits from the text')
  .openapi({ example: '123456' });
const refreshToken = z
  .string()
  .min(1)
  .max(200)
  .openapi({
    description: `The refresh token (\`${REFRESH_TOKEN_PREFIX}…\`) from the last sign-in or refresh`,
  });

const RequestCode = z
  .strictObject({ phone: e164 })
  .openapi('SignInCodeRequest', { additionalProperties: false });
const VerifyCode = z
  .strictObject({ phone: e164, code })
  .openapi('SignInCodeVerification', { additionalProperties: false });
const RefreshBody = z
  .strictObject({ refreshToken })
  .openapi('RefreshTokenRequest', { additionalProperties: false });

const CodeRequested = z
  .object({
    status: z.literal('accepted'),
    detail: z.string(),
    expiresInSeconds: z.number().int(),
  })
  .openapi('SignInCodeRequested');

const Tokens = z
  .object({
    tokenType: z.literal('Bearer'),
    accessToken: z.string().openapi({ description: 'A JWT for `Authorization: Bearer …` on /me routes' }),
    expiresIn: z.number().int().openapi({ description: 'Seconds the access token is valid' }),
    refreshToken: z
      .string()
      .openapi({ description: 'Opaque, single use: exchange it at POST /auth/refresh' }),
    memberId: z.string(),
    scopes: z.array(z.enum(['member', 'mentor'])),
  })
  .openapi('SignInTokens');

const tags = ['Sign-in'];
const security: Array<Record<string, string[]>> = [];

const requestRoute = createRoute({
  method: 'post',
  path: '/otp',
  tags,
  security,
  summary: 'Text a one-time sign-in code to a member (the same 202 for any mobile number)',
  request: { body: jsonBody(RequestCode) },
  responses: {
    202: jsonResponse(CodeRequested, 'If the number is a member’s, a code is on its way'),
    ...problems(503, ...BODY_PROBLEMS),
  },
});

const verifyRoute = createRoute({
  method: 'post',
  path: '/otp/verify',
  tags,
  security,
  summary: 'Exchange the code for an access token and a refresh token',
  request: { body: jsonBody(VerifyCode) },
  responses: { 200: jsonResponse(Tokens, 'Signed in'), ...problems(503, ...BODY_PROBLEMS) },
});

const refreshRoute = createRoute({
  method: 'post',
  path: '/refresh',
  tags,
  security,
  summary: 'Exchange a refresh token for new tokens (reusing an exchanged one ends the session)',
  request: { body: jsonBody(RefreshBody) },
  responses: { 200: jsonResponse(Tokens, 'New tokens'), ...problems(503, ...BODY_PROBLEMS) },
});

const logoutRoute = createRoute({
  method: 'post',
  path: '/logout',
  tags,
  security,
  summary: 'End the session of this refresh token: its access tokens are refused from now on',
  request: { body: jsonBody(RefreshBody) },
  responses: {
    204: { description: 'Logged out (also for a token we do not know)' },
    ...problems(503, ...BODY_PROBLEMS),
  },
});

const phoneBucket = (phone: string) => createHash('sha256').update(phone).digest('hex').slice(0, 32);

function tooMany(c: Context, retryAfterSeconds: number, what: string): HttpProblem {
  c.header('retry-after', String(retryAfterSeconds));
  return new HttpProblem({
    title: 'Too many requests',
    status: 429,
    detail: `Too many sign-in codes ${what}; retry after ${retryAfterSeconds} s.`,
  });
}

const badCredentials = (detail: string) => new HttpProblem({ title: 'Unauthorized', status: 401, detail });

export function authRouter(deps: AppDeps, tokens: TokenService | undefined) {
  const { db, temporal, config, logger } = deps;
  const disabled = () =>
    new HttpProblem({
      title: 'Service unavailable',
      status: 503,
      detail: 'Member sign-in is not configured on this server (AUTH_TOKEN_SECRET).',
    });

  async function issueTokens(s: TokenService, memberId: string, sessionId: string, refresh: string) {
    const scopes: TokenScope[] = (await mentorIdOf(db, memberId)) ? ['member', 'mentor'] : ['member'];
    const access = await s.signAccessToken({ memberId, sessionId, scopes });
    return {
      tokenType: 'Bearer' as const,
      accessToken: access.token,
      expiresIn: access.expiresIn,
      refreshToken: refresh,
      memberId,
      scopes,
    };
  }

  return createRouter()
    .openapi(requestRoute, async (c) => {
      if (!tokens) throw disabled();
      const { phone } = c.req.valid('json');
      const reason = untextableReason(phone);
      if (reason) {
        throw new HttpProblem({
          title: 'Invalid request',
          status: 400,
          detail: `phone: ${reason}`,
          errors: [{ field: 'phone', message: reason }],
        });
      }
      const s = tokens.settings;
      const ip = await hitRateLimit(
        db,
        `otp-ip:${clientIp(c, config.trustProxy ?? false)}`,
        s.otpPerIpPerHour,
        3600,
      );
      if (!ip.allowed) throw tooMany(c, ip.retryAfterSeconds, 'from this address');
      const bucket = phoneBucket(phone);
      const perQuarter = await hitRateLimit(db, `otp-phone-15m:${bucket}`, s.otpPerPhonePer15Min, 900);
      const perDay = await hitRateLimit(db, `otp-phone-day:${bucket}`, s.otpPerPhonePerDay, 86_400);
      const refused = [perQuarter, perDay].filter((h) => !h.allowed);
      if (refused.length) {
        throw tooMany(c, Math.max(...refused.map((h) => h.retryAfterSeconds)), 'for this number');
      }

      const member = await findMemberByPhone(db, phone);
      if (member && member.status !== 'erased') {
        const id = randomUUID();
        const secretCode = newSignInCode();
        await issueSignInCode(db, {
          id,
          memberId: member.id,
          codeHash: tokens.hashCode(member.id, secretCode),
          expiresAt: new Date(Date.now() + s.codeMinutes * 60_000),
        });
        const key = `signin:${id}`;
        const input: SendSmsInput = {
          idempotencyKey: key,
          to: { memberId: member.id },
          kind: 'sign_in_code',
          purpose: 'transactional',
          body: signInCodeText(config.brand, secretCode, s.codeMinutes),
          // The person is waiting for it: never held for quiet hours (QUIET_HOURS_TRANSACTIONAL included).
          window: null,
        };
        await temporal.workflow.start(MESSAGE_WORKFLOW_TYPE, {
          taskQueue: TASK_QUEUE,
          workflowId: messageWorkflowId(key),
          // The code's text is the member's personal data: sealed with their key (README "Privacy").
          args: [aboutSubject(subjectOfRecipient(input.to), input)],
          staticSummary: `Sign-in code for member ${member.id}`,
        });
        logger.info({ memberId: member.id }, 'sign-in code sent');
      }
      return c.json(
        {
          status: 'accepted' as const,
          detail: 'If this number belongs to a member, a sign-in code is on its way by SMS.',
          expiresInSeconds: s.codeMinutes * 60,
        },
        202,
      );
    })
    .openapi(verifyRoute, async (c) => {
      if (!tokens) throw disabled();
      const body = c.req.valid('json');
      const member = await findMemberByPhone(db, body.phone);
      const ok =
        member !== undefined &&
        member.status !== 'erased' &&
        (await checkSignInCode(
          db,
          member.id,
          (stored) => tokens.codeMatches(member.id, body.code, stored),
          tokens.settings.codeAttempts,
        ));
      if (!ok || !member)
        throw badCredentials('The code is wrong, expired or already used. Ask for a new one.');
      const sessionId = randomUUID();
      const refresh = newRefreshToken();
      await createSession(db, {
        id: sessionId,
        memberId: member.id,
        expiresAt: new Date(Date.now() + tokens.settings.sessionDays * 86_400_000),
        refreshTokenHash: hashRefreshToken(refresh),
      });
      logger.info({ memberId: member.id }, 'member signed in');
      return c.json(await issueTokens(tokens, member.id, sessionId, refresh), 200);
    })
    .openapi(refreshRoute, async (c) => {
      if (!tokens) throw disabled();
      const { refreshToken: presented } = c.req.valid('json');
      const next = newRefreshToken();
      const outcome = await rotateRefreshToken(db, hashRefreshToken(presented), hashRefreshToken(next));
      if (outcome.kind === 'reused') {
        logger.warn({}, 'refresh token reused: session revoked');
        throw badCredentials(
          'This refresh token was already used; the session has been ended. Sign in again.',
        );
      }
      if (outcome.kind !== 'rotated')
        throw badCredentials('The refresh token is not valid (unknown, expired or logged out).');
      return c.json(await issueTokens(tokens, outcome.memberId, outcome.sessionId, next), 200);
    })
    .openapi(logoutRoute, async (c) => {
      if (!tokens) throw disabled();
      await revokeSessionByRefreshToken(db, hashRefreshToken(c.req.valid('json').refreshToken));
      return c.body(null, 204);
    });
}
