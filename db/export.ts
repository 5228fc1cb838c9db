/**
 * What Crewline holds about one person (issue 12, GDPR Art. 15/20): read-only, section by section, so the export
 * route can stream it. The person is found by member id or by phone: a member (and, if they mentor, their mentor
 * profile), and every guest row, text, consent event and suppression under that number. Large sections (texts)
 * are read in pages by id, so no section is held in memory whole.
 */
import { and, asc, eq, gt, inArray, or, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import {
  crewChallengeWorkflowId,
  guestCampaignWorkflowId,
  memberWorkflowId,
  mentorshipMatchWorkflowId,
  mentorWorkflowId,
} from '../workflows/ids.js';
import type { Db } from './client.js';
import {
  aiUsage,
  authSessions,
  campaignReplies,
  campaignRecipients,
  campaigns,
  checkIns,
  consentEvents,
  crewChallenges,
  crewMembers,
  crewReflectionFlags,
  crewReflections,
  crews,
  goals,
  guestLists,
  guests,
  inboundMessages,
  members,
  mentors,
  mentorshipMatches,
  mentorshipOffers,
  messages,
  riskEvents,
  suppressions,
  type Member,
} from './schema.js';

export interface ExportSubject {
  phone: string;
  member: Member | null;
  mentorIds: string[];
  guestIds: string[];
}

/** The person behind a member id or a phone; null when Crewline holds nothing under either. */
export async function findExportSubject(
  db: Db,
  by: { memberId: string } | { phone: string },
): Promise<ExportSubject | null> {
  const [member] = await db
    .select()
    .from(members)
    .where('memberId' in by ? eq(members.id, by.memberId) : eq(members.phone, by.phone));
  const phone = member?.phone ?? ('phone' in by ? by.phone : null);
  if (!phone) return null;
  const mentorIds = member
    ? (await db.select({ id: mentors.id }).from(mentors).where(eq(mentors.memberId, member.id))).map(
        (m) => m.id,
      )
    : [];
  const guestIds = (await db.select({ id: guests.id }).from(guests).where(eq(guests.phone, phone))).map(
    (g) => g.id,
  );
  if (!member && guestIds.length === 0) {
    // A number that was only ever texted or that texted us (or opted out) still has data.
    const [any] = await db
      .select({ id: inboundMessages.id })
      .from(inboundMessages)
      .where(eq(inboundMessages.fromPhone, phone))
      .limit(1);
    const [sent] = await db
      .select({ id: messages.id })
      .from(messages)
      .where(eq(messages.toPhone, phone))
      .limit(1);
    const [consent] = await db
      .select({ id: consentEvents.id })
      .from(consentEvents)
      .where(eq(consentEvents.phone, phone))
      .limit(1);
    if (!any && !sent && !consent) return null;
  }
  return { phone, member: member ?? null, mentorIds, guestIds };
}

const PAGE = 500;

/** Rows of a table in id order, a page at a time. */
async function* paged<T extends Record<string, unknown>>(
  db: Db,
  table: PgTable,
  id: PgColumn,
  where: SQL | undefined,
): AsyncGenerator<T> {
  let after: number | undefined;
  for (;;) {
    const rows = (await db
      .select()
      .from(table)
      .where(and(where, after === undefined ? undefined : gt(id, after)))
      .orderBy(asc(id))
      .limit(PAGE)) as T[];
    for (const r of rows) yield r;
    if (rows.length < PAGE) return;
    after = rows.at(-1)!.id as number;
  }
}

async function* all<T>(rows: Promise<T[]>): AsyncGenerator<T> {
  for (const r of await rows) yield r;
}

const none = async function* () {};

/** Every section of the export, in order: name → rows. */
export function exportSections(db: Db, s: ExportSubject): [string, () => AsyncGenerator<unknown>][] {
  const m = s.member?.id;
  const byMember = <T extends PgColumn>(col: T) => (m ? eq(col, m) : undefined);
  const memberOnly = (f: () => AsyncGenerator<unknown>) => (m ? f : none);
  return [
    [
      'consentEvents',
      () =>
        all(
          db
            .select()
            .from(consentEvents)
            .where(eq(consentEvents.phone, s.phone))
            .orderBy(asc(consentEvents.id)),
        ),
    ],
    ['suppressions', () => all(db.select().from(suppressions).where(eq(suppressions.phone, s.phone)))],
    [
      'messagesSent',
      () => paged(db, messages, messages.id, or(eq(messages.toPhone, s.phone), byMember(messages.memberId))),
    ],
    [
      'messagesReceived',
      () =>
        paged(
          db,
          inboundMessages,
          inboundMessages.id,
          or(eq(inboundMessages.fromPhone, s.phone), byMember(inboundMessages.memberId)),
        ),
    ],
    ['checkIns', memberOnly(() => paged(db, checkIns, checkIns.id, byMember(checkIns.memberId)))],
    ['goals', memberOnly(() => all(db.select().from(goals).where(byMember(goals.memberId))))],
    ['riskEvents', memberOnly(() => all(db.select().from(riskEvents).where(byMember(riskEvents.memberId))))],
    ['aiUsage', memberOnly(() => all(db.select().from(aiUsage).where(byMember(aiUsage.memberId))))],
    [
      'signInSessions',
      memberOnly(() =>
        all(
          db
            .select({
              id: authSessions.id,
              createdAt: authSessions.createdAt,
              expiresAt: authSessions.expiresAt,
              revokedAt: authSessions.revokedAt,
              revokeReason: authSessions.revokeReason,
            })
            .from(authSessions)
            .where(byMember(authSessions.memberId)),
        ),
      ),
    ],
    [
      'crews',
      memberOnly(() =>
        all(
          db
            .select({
              crewId: crews.id,
              name: crews.name,
              role: crewMembers.role,
              sharePulses: crewMembers.sharePulses,
              shareReflections: crewMembers.shareReflections,
              joinedAt: crewMembers.joinedAt,
              leftAt: crewMembers.leftAt,
            })
            .from(crewMembers)
            .innerJoin(crews, eq(crews.id, crewMembers.crewId))
            .where(byMember(crewMembers.memberId)),
        ),
      ),
    ],
    [
      'reflections',
      memberOnly(() => all(db.select().from(crewReflections).where(byMember(crewReflections.memberId)))),
    ],
    [
      'reflectionFlags',
      memberOnly(() =>
        all(db.select().from(crewReflectionFlags).where(byMember(crewReflectionFlags.memberId))),
      ),
    ],
    ['mentorProfiles', memberOnly(() => all(db.select().from(mentors).where(byMember(mentors.memberId))))],
    [
      'mentorshipMatches',
      memberOnly(() =>
        all(
          db
            .select()
            .from(mentorshipMatches)
            .where(
              or(
                byMember(mentorshipMatches.menteeMemberId),
                s.mentorIds.length ? inArray(mentorshipMatches.mentorId, s.mentorIds) : undefined,
              ),
            ),
        ),
      ),
    ],
    [
      'mentorshipOffers',
      s.mentorIds.length
        ? () => all(db.select().from(mentorshipOffers).where(inArray(mentorshipOffers.mentorId, s.mentorIds)))
        : none,
    ],
    [
      'guests',
      s.guestIds.length
        ? () =>
            all(
              db
                .select({ guest: guests, listName: guestLists.name })
                .from(guests)
                .innerJoin(guestLists, eq(guestLists.id, guests.listId))
                .where(inArray(guests.id, s.guestIds)),
            )
        : none,
    ],
    [
      'campaignsReceived',
      s.guestIds.length
        ? () =>
            all(
              db
                .select({ recipient: campaignRecipients, campaignName: campaigns.name })
                .from(campaignRecipients)
                .innerJoin(campaigns, eq(campaigns.id, campaignRecipients.campaignId))
                .where(inArray(campaignRecipients.guestId, s.guestIds)),
            )
        : none,
    ],
    [
      'campaignReplies',
      s.guestIds.length
        ? () => all(db.select().from(campaignReplies).where(inArray(campaignReplies.guestId, s.guestIds)))
        : none,
    ],
  ];
}

/** How a workflow holds the person: its own, or one they take part in (which also holds others' data). */
export const HOLDER_ROLES = [
  'member',
  'mentor',
  'mentee',
  'mentor_of_match',
  'crew_member',
  'guest',
] as const;
export type HolderRole = (typeof HOLDER_ROLES)[number];

/**
 * The workflows that hold the person, from the business records (not visibility, which lags and which some
 * servers do not serve): their member and mentor workflows, their matches, their crews' challenges and the
 * campaigns that texted them.
 */
export async function workflowsHolding(
  db: Db,
  s: ExportSubject,
): Promise<{ workflowId: string; role: HolderRole }[]> {
  const out: { workflowId: string; role: HolderRole }[] = [];
  const m = s.member?.id;
  if (m) {
    out.push({ workflowId: memberWorkflowId(m), role: 'member' });
    for (const id of s.mentorIds) out.push({ workflowId: mentorWorkflowId(id), role: 'mentor' });
    const matches = await db
      .select({ id: mentorshipMatches.id, mentee: mentorshipMatches.menteeMemberId })
      .from(mentorshipMatches)
      .where(
        or(
          eq(mentorshipMatches.menteeMemberId, m),
          s.mentorIds.length ? inArray(mentorshipMatches.mentorId, s.mentorIds) : undefined,
        ),
      );
    for (const x of matches)
      out.push({
        workflowId: mentorshipMatchWorkflowId(x.id),
        role: x.mentee === m ? 'mentee' : 'mentor_of_match',
      });
    const challenges = await db
      .selectDistinct({ id: crewChallenges.id })
      .from(crewChallenges)
      .innerJoin(crewMembers, eq(crewMembers.crewId, crewChallenges.crewId))
      .where(eq(crewMembers.memberId, m));
    for (const c of challenges) out.push({ workflowId: crewChallengeWorkflowId(c.id), role: 'crew_member' });
  }
  if (s.guestIds.length) {
    const sent = await db
      .selectDistinct({ id: campaignRecipients.campaignId })
      .from(campaignRecipients)
      .where(inArray(campaignRecipients.guestId, s.guestIds));
    for (const c of sent) out.push({ workflowId: guestCampaignWorkflowId(c.id), role: 'guest' });
  }
  return out;
}
