/**
 * `REPORT` by SMS, through the Twilio webhook with real Postgres, the time-skipping server and the real workers:
 * it reports the newest reflection shared in the member's crews that is not their own, as the API's flag does
 * (once per member; a member of fewer than 3 days is refused; two reports hide it, the decision kept with its
 * reason, its author still sees it); the answer names the note by challenge and day, never its words.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createReflectionActivities } from '../../activities/crews/reflections.js';
import { createCrew, FLAGGER_MIN_DAYS, insertChallenge, joinCrew } from '../../db/crews.js';
import {
  crewMembers,
  crewReflectionDecisions,
  crewReflectionFlags,
  crewReflections,
  members,
} from '../../db/schema.js';
import { REPORT_NOTHING_TEXT, reportedText, reportTooNewText } from '../../workflows/crew/texts.js';
import { parseCrewCommand } from '../../workflows/lib/keywords.js';
import { auth } from '../helpers/app.js';
import { captureHistory } from '../helpers/histories.js';
import { crewSms } from '../helpers/crew-sms.js';
import { stackWithApp } from '../helpers/stack.js';
import { inboundWorkflowId } from '../../workflows/ids.js';

const t = stackWithApp();
const { crewTexts, textAndWait } = crewSms(t);

const DAY = 86_400_000;
const evidence = { via: 'api' as const };
let seq = 0;

async function member(name: string) {
  const id = randomUUID();
  const phone = `+1646555${String(8400 + seq++)}`;
  await t.database.db.insert(members).values({
    id,
    name,
    phone,
    timezone: 'Europe/London',
    checkInTime: '19:00',
  });
  return { id, phone };
}

/** Texts REPORT (or `body`) from the member and waits for its answer. */
const report = (from: { id: string; phone: string }, body = 'REPORT') =>
  textAndWait(from.phone, body, () => crewTexts(from.id));

const statusOf = async (rid: string) =>
  (await t.database.db.query.crewReflections.findFirst({ where: eq(crewReflections.id, rid) }))!.status;

describe('REPORT by SMS', () => {
  it('is a crew command in any case, and only alone', () => {
    for (const body of ['REPORT', 'report', ' Report. '])
      expect(parseCrewCommand(body)).toEqual({ command: 'report' });
    for (const body of ['REPORT 2', 'report this', 'reports']) expect(parseCrewCommand(body)).toBeNull();
  });

  it('flags the newest shared note of the crew; 3-day rule; two reports hide it; the author still sees it', async () => {
    const [kim, bo, ana, cy, newbie] = [
      await member('Kim Lee'),
      await member('Bo Chen'),
      await member('Ana Ruiz'),
      await member('Cy Park'),
      await member('Nia Obi'),
    ];
    const made = await createCrew(t.database.db, {
      name: 'Runners',
      purpose: 'run',
      maxSize: 10,
      joinable: true,
      timezone: 'Europe/London',
      pulseK: 5,
      organiserMemberId: kim.id,
      consent: { pulses: true, reflections: true },
      evidence,
    });
    if (!('crew' in made)) throw new Error('no crew');
    const crewId = made.crew.id;
    for (const m of [bo, ana, cy, newbie])
      await joinCrew(t.database.db, {
        crewId,
        memberId: m.id,
        consent: { pulses: true, reflections: m === bo },
        evidence,
      });
    await t.database.db
      .update(crewMembers)
      .set({ joinedAt: new Date(Date.now() - (FLAGGER_MIN_DAYS + 1) * DAY) })
      .where(and(eq(crewMembers.crewId, crewId)));
    await t.database.db
      .update(crewMembers)
      .set({ joinedAt: new Date() })
      .where(eq(crewMembers.memberId, newbie.id));
    const challenge = await insertChallenge(t.database.db, {
      id: randomUUID(),
      crewId,
      title: 'Run',
      days: 7,
      startDate: '2026-11-30',
      minSize: 3,
    });
    const reflections = createReflectionActivities({ db: t.database.db, openai: null });
    const store = (input: Parameters<typeof reflections.storeCrewReflection>[0]) =>
      reflections.storeCrewReflection(input);
    const older = await store({ challengeId: challenge.id, memberId: bo.id, day: 1, text: 'Rainy but done' });
    const newer = await store({
      challengeId: challenge.id,
      memberId: kim.id,
      day: 2,
      text: 'Best run this year',
    });
    if (!older.stored || !newer.stored) throw new Error('not stored');
    expect([older.status, newer.status]).toEqual(['shared', 'shared']);

    // Ana reports: Kim's day-2 note (the newest) gets one flag; a second REPORT from her counts nothing more.
    const first = await report(ana, 'report');
    expect(first.last).toEqual({ kind: 'crew_reported', body: reportedText('Run', 2, false) });
    await captureHistory(
      'crew-command-report',
      t.env.client.workflow.getHandle(inboundWorkflowId(first.inboundId)),
    );
    expect((await report(ana)).last.body).toBe(reportedText('Run', 2, false));
    expect(await statusOf(newer.reflectionId)).toBe('shared');
    // A member of less than 3 days is refused; nothing is counted.
    expect((await report(newbie)).last).toEqual({
      kind: 'crew_report_refused',
      body: reportTooNewText(FLAGGER_MIN_DAYS),
    });
    expect(
      await t.database.db
        .select({ memberId: crewReflectionFlags.memberId, via: crewReflectionFlags.via })
        .from(crewReflectionFlags)
        .where(eq(crewReflectionFlags.reflectionId, newer.reflectionId)),
    ).toEqual([{ memberId: ana.id, via: 'sms' }]);

    // Cy's report is the second: hidden, the decision kept with its reason.
    expect((await report(cy)).last.body).toBe(reportedText('Run', 2, true));
    expect(await statusOf(newer.reflectionId)).toBe('hidden');
    const decisions = await t.database.db
      .select({
        status: crewReflectionDecisions.status,
        by: crewReflectionDecisions.decidedBy,
        reason: crewReflectionDecisions.reason,
      })
      .from(crewReflectionDecisions)
      .where(eq(crewReflectionDecisions.reflectionId, newer.reflectionId))
      .orderBy(asc(crewReflectionDecisions.id));
    expect(decisions).toEqual([
      { status: 'shared', by: 'moderation', reason: expect.any(String) },
      { status: 'hidden', by: 'flags', reason: '2 member flags' },
    ]);
    // The crew no longer sees it; its author still does.
    const list = async (viewer?: string) => {
      const res = await t.app.request(
        `/challenges/${challenge.id}/reflections${viewer ? `?memberId=${viewer}` : ''}`,
        { headers: auth },
      );
      return ((await res.json()) as { reflections: Array<{ id: string; status: string }> }).reflections;
    };
    expect((await list()).map((r) => r.id)).toEqual([older.reflectionId]);
    expect((await list(kim.id)).find((r) => r.id === newer.reflectionId)?.status).toBe('hidden');

    // Now the newest shared note is Bo's day 1; Bo cannot report his own, so he has nothing to report.
    expect((await report(ana)).last.body).toBe(reportedText('Run', 1, false));
    expect((await report(bo)).last).toEqual({ kind: 'crew_report_none', body: REPORT_NOTHING_TEXT });
    expect(await statusOf(older.reflectionId)).toBe('shared');
  }, 600_000);
});
