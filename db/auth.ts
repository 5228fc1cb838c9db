/**
 * The one writer of the sign-in tables (db/access-schema.ts): one-time codes, sessions and their rotating
 * refresh tokens. Secrets never reach this module: it stores and compares hashes the API computed
 * (api/tokens.ts).
 */
import { and, desc, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { authSessions, members, mentors, mentorshipMatches, refreshTokens, signInCodes } from './schema.js';

/** A new code for the member; every older code of theirs that is still open is superseded (consumed). */
export async function issueSignInCode(
  db: Db,
  code: { id: string; memberId: string; codeHash: string; expiresAt: Date },
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .update(signInCodes)
      .set({ consumedAt: sql`now()` })
      .where(and(eq(signInCodes.memberId, code.memberId), isNull(signInCodes.consumedAt)));
    await tx.insert(signInCodes).values(code);
  });
}

/**
 * Checks a guess against the member's newest open code (not consumed, not expired, fewer than `maxAttempts`
 * wrong guesses). The row is locked, so concurrent guesses are counted one by one; a right guess consumes the
 * code (single use), a wrong one counts an attempt.
 */
export async function checkSignInCode(
  db: Db,
  memberId: string,
  matches: (codeHash: string) => boolean,
  maxAttempts: number,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [open] = await tx
      .select()
      .from(signInCodes)
      .where(
        and(
          eq(signInCodes.memberId, memberId),
          isNull(signInCodes.consumedAt),
          gt(signInCodes.expiresAt, sql`now()`),
          lt(signInCodes.attempts, maxAttempts),
        ),
      )
      .orderBy(desc(signInCodes.createdAt))
      .limit(1)
      .for('update');
    if (!open) return false;
    if (matches(open.codeHash)) {
      await tx
        .update(signInCodes)
        .set({ consumedAt: sql`now()` })
        .where(eq(signInCodes.id, open.id));
      return true;
    }
    await tx
      .update(signInCodes)
      .set({ attempts: sql`${signInCodes.attempts} + 1` })
      .where(eq(signInCodes.id, open.id));
    return false;
  });
}

/** A new session with its first refresh token. */
export async function createSession(
  db: Db,
  s: { id: string; memberId: string; expiresAt: Date; refreshTokenHash: string },
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.insert(authSessions).values({ id: s.id, memberId: s.memberId, expiresAt: s.expiresAt });
    await tx.insert(refreshTokens).values({ tokenHash: s.refreshTokenHash, sessionId: s.id });
  });
}

export type RotateOutcome =
  | { kind: 'rotated'; sessionId: string; memberId: string }
  | { kind: 'unknown' }
  | { kind: 'revoked' }
  /** The token had been exchanged already: someone holds a stolen copy. The whole session is now revoked. */
  | { kind: 'reused' };

/**
 * Exchanges a refresh token (by hash) for a new one in the same session. Each token works once: presenting an
 * exchanged token again revokes the session (refresh-token reuse detection), so neither the thief nor the
 * owner can go on with that family.
 */
export async function rotateRefreshToken(db: Db, oldHash: string, newHash: string): Promise<RotateOutcome> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({ token: refreshTokens, session: authSessions })
      .from(refreshTokens)
      .innerJoin(authSessions, eq(authSessions.id, refreshTokens.sessionId))
      .where(eq(refreshTokens.tokenHash, oldHash))
      .for('update');
    if (!row) return { kind: 'unknown' } as const;
    const { token, session } = row;
    if (session.revokedAt || session.expiresAt.getTime() <= Date.now()) return { kind: 'revoked' } as const;
    if (token.usedAt) {
      await tx
        .update(authSessions)
        .set({ revokedAt: sql`now()`, revokeReason: 'refresh_token_reuse' })
        .where(and(eq(authSessions.id, session.id), isNull(authSessions.revokedAt)));
      return { kind: 'reused' } as const;
    }
    await tx
      .update(refreshTokens)
      .set({ usedAt: sql`now()` })
      .where(eq(refreshTokens.tokenHash, oldHash));
    await tx.insert(refreshTokens).values({ tokenHash: newHash, sessionId: session.id });
    return { kind: 'rotated', sessionId: session.id, memberId: session.memberId } as const;
  });
}

/** Logout: revokes the session the refresh token belongs to (idempotent). False for an unknown token. */
export async function revokeSessionByRefreshToken(db: Db, tokenHash: string): Promise<boolean> {
  const [token] = await db
    .select({ sessionId: refreshTokens.sessionId })
    .from(refreshTokens)
    .where(eq(refreshTokens.tokenHash, tokenHash));
  if (!token) return false;
  await db
    .update(authSessions)
    .set({ revokedAt: sql`now()`, revokeReason: 'logout' })
    .where(and(eq(authSessions.id, token.sessionId), isNull(authSessions.revokedAt)));
  return true;
}

/** Whether the session is live (not revoked or expired) and belongs to this member, who is not erased. */
export async function isLiveSession(db: Db, sessionId: string, memberId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: authSessions.id })
    .from(authSessions)
    .innerJoin(members, eq(members.id, authSessions.memberId))
    .where(
      and(
        eq(authSessions.id, sessionId),
        eq(authSessions.memberId, memberId),
        isNull(authSessions.revokedAt),
        gt(authSessions.expiresAt, sql`now()`),
        sql`${members.status} <> 'erased'`,
      ),
    )
    .limit(1);
  return Boolean(row);
}

/** The mentor profile id of a member, if they are a mentor. */
export async function mentorIdOf(db: Db, memberId: string): Promise<string | undefined> {
  const [row] = await db.select({ id: mentors.id }).from(mentors).where(eq(mentors.memberId, memberId));
  return row?.id;
}

/** A mentor's active mentees: what a mentor may see of each (no phone, no reflections). */
export async function activeMentees(db: Db, mentorMemberId: string, menteeMemberId?: string) {
  return db
    .select({
      matchId: mentorshipMatches.id,
      memberId: members.id,
      name: members.name,
      timezone: members.timezone,
      focusAreas: mentorshipMatches.focusAreas,
      weeks: mentorshipMatches.weeks,
      since: mentorshipMatches.updatedAt,
      shareRisk: mentorshipMatches.shareRisk,
      risk: members.riskLevel,
      currentStreak: members.currentStreak,
      longestStreak: members.longestStreak,
      lastCheckInDate: members.lastCheckInDate,
    })
    .from(mentorshipMatches)
    .innerJoin(mentors, eq(mentors.id, mentorshipMatches.mentorId))
    .innerJoin(members, eq(members.id, mentorshipMatches.menteeMemberId))
    .where(
      and(
        eq(mentors.memberId, mentorMemberId),
        eq(mentorshipMatches.status, 'active'),
        sql`${members.status} <> 'erased'`,
        menteeMemberId ? eq(members.id, menteeMemberId) : undefined,
      ),
    )
    .orderBy(mentorshipMatches.updatedAt, members.id);
}
