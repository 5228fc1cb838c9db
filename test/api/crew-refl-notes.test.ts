/**
 * Consent to share reflections by SMS, separately from the pulses: `NOTES ON|OFF [<code>]` through the Twilio
 * webhook with real Postgres, the time-skipping server and the real workers. The membership's flag changes, the
 * consent ledger gets a `crew_reflections` event with its evidence (the inbound id and the exact invitation the
 * welcome text showed), a repeated text writes nothing more, a member of two crews is asked which, and the store
 * activity follows the consent. Captures the `crew-command-notes` history.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createReflectionActivities } from '../../activities/crews/reflections.js';
import { createCrew, insertChallenge, joinCrew, SHARING_STATEMENTS } from '../../db/crews.js';
import { consentEvents, crewMembers, members } from '../../db/schema.js';
import {
  chooseNotesCrewText,
  joinedText,
  NOTES_INVITE,
  NOTES_NOT_IN_CREW_TEXT,
  notesOffText,
  notesOnText,
} from '../../workflows/crew/texts.js';
import { parseCrewCommand } from '../../workflows/lib/keywords.js';
import { inboundWorkflowId } from '../../workflows/ids.js';
import { captureHistory } from '../helpers/histories.js';
import { crewSms } from '../helpers/crew-sms.js';
import { stackWithApp } from '../helpers/stack.js';

const t = stackWithApp();
const { crewTexts, textAndWait } = crewSms(t);

const evidence = { via: 'api' as const };
let seq = 0;

async function member(name: string) {
  const id = randomUUID();
  const phone = `+1646555${String(8600 + seq++)}`;
  await t.database.db
    .insert(members)
    .values({ id, name, phone, timezone: 'Europe/London', checkInTime: '19:00' });
  return { id, phone };
}

/** Texts a crew command from the member and waits for its answer. */
const text = (from: { id: string; phone: string }, body: string) =>
  textAndWait(from.phone, body, () => crewTexts(from.id));

async function crew(name: string, organiser: string) {
  const made = await createCrew(t.database.db, {
    name,
    purpose: 'walk',
    maxSize: 10,
    joinable: true,
    timezone: 'Europe/London',
    pulseK: 5,
    organiserMemberId: organiser,
    consent: { pulses: true, reflections: true },
    evidence,
  });
  if (!('crew' in made)) throw new Error('no crew');
  return made.crew;
}

const sharing = async (crewId: string, memberId: string) =>
  (await t.database.db.query.crewMembers.findFirst({
    where: and(eq(crewMembers.crewId, crewId), eq(crewMembers.memberId, memberId)),
  }))!.shareReflections;

const ledger = (phone: string) =>
  t.database.db
    .select({ action: consentEvents.action, source: consentEvents.source, evidence: consentEvents.evidence })
    .from(consentEvents)
    .where(and(eq(consentEvents.phone, phone), eq(consentEvents.purpose, 'crew_reflections')))
    .orderBy(asc(consentEvents.id));

describe('NOTES ON|OFF by SMS', () => {
  it('is a crew command in any case, with an optional code; the welcome texts name it', () => {
    expect(parseCrewCommand('notes on')).toEqual({ command: 'notes', share: true, code: null });
    expect(parseCrewCommand(' Notes Off K7MX2Q. ')).toEqual({
      command: 'notes',
      share: false,
      code: 'K7MX2Q',
    });
    for (const body of ['NOTES', 'notes maybe', 'NOTES ON please now', 'my notes on the run'])
      expect(parseCrewCommand(body)).toBeNull();
    expect(joinedText('Walkers')).toContain(NOTES_INVITE);
  });

  it('gives and withdraws consent with its evidence; once per change; asks which crew when in two', async () => {
    const [kim, bo, stranger] = [await member('Kim Lee'), await member('Bo Chen'), await member('Cy Park')];
    const walkers = await crew('Walkers', kim.id);
    await joinCrew(t.database.db, {
      crewId: walkers.id,
      memberId: bo.id,
      consent: { pulses: true, reflections: false },
      evidence,
    });
    const challenge = await insertChallenge(t.database.db, {
      id: randomUUID(),
      crewId: walkers.id,
      title: 'Walk',
      days: 7,
      startDate: '2026-11-30',
      minSize: 3,
    });
    const store = () =>
      createReflectionActivities({ db: t.database.db, openai: null }).storeCrewReflection({
        challengeId: challenge.id,
        memberId: bo.id,
        day: 1,
        text: 'A fine walk',
      });
    expect(await store()).toEqual({ stored: false, reason: 'no_consent' });
    expect(await ledger(bo.phone)).toEqual([]);

    // NOTES ON: shared from now on, the ledger holds the inbound id and the exact words shown.
    const on = await text(bo, 'notes on');
    expect(on.last).toEqual({ kind: 'crew_notes', body: notesOnText('Walkers') });
    await captureHistory(
      'crew-command-notes',
      t.env.client.workflow.getHandle(inboundWorkflowId(on.inboundId)),
    );
    expect(await sharing(walkers.id, bo.id)).toBe(true);
    expect(await ledger(bo.phone)).toEqual([
      {
        action: 'opt_in',
        source: 'sms_keyword',
        evidence: {
          crewId: walkers.id,
          memberId: bo.id,
          via: 'sms',
          reference: `inbound:${on.inboundId}`,
          inboundMessageIds: [on.inboundId],
          confirmationText: NOTES_INVITE,
          statement: SHARING_STATEMENTS.crew_reflections,
        },
      },
    ]);
    expect(await store()).toMatchObject({ stored: true, status: 'shared' });

    // Again: the same answer, nothing more written.
    expect((await text(bo, 'NOTES ON')).last.body).toBe(notesOnText('Walkers'));
    expect(await ledger(bo.phone)).toHaveLength(1);

    // NOTES OFF: withdrawn, recorded as such; a later reflection is not stored.
    const off = await text(bo, 'NOTES OFF');
    expect(off.last).toEqual({ kind: 'crew_notes', body: notesOffText('Walkers') });
    expect(await sharing(walkers.id, bo.id)).toBe(false);
    const events = await ledger(bo.phone);
    expect(events.map((e) => e.action)).toEqual(['opt_in', 'opt_out']);
    expect(events[1]!.evidence).toMatchObject({
      inboundMessageIds: [off.inboundId],
      confirmationText: NOTES_INVITE,
    });
    expect(
      await createReflectionActivities({ db: t.database.db, openai: null }).storeCrewReflection({
        challengeId: challenge.id,
        memberId: bo.id,
        day: 2,
        text: 'Another walk',
      }),
    ).toEqual({ stored: false, reason: 'no_consent' });

    // In two crews: which one? With the code, only that one changes.
    const runners = await crew('Runners', kim.id);
    await joinCrew(t.database.db, {
      crewId: runners.id,
      memberId: bo.id,
      consent: { pulses: true, reflections: false },
      evidence,
    });
    const choose = await text(bo, 'NOTES ON');
    expect(choose.last.body).toBe(
      chooseNotesCrewText(true, [
        { name: 'Walkers', joinCode: walkers.joinCode },
        { name: 'Runners', joinCode: runners.joinCode },
      ]),
    );
    expect([await sharing(walkers.id, bo.id), await sharing(runners.id, bo.id)]).toEqual([false, false]);
    expect((await text(bo, `NOTES ON ${runners.joinCode}`)).last.body).toBe(notesOnText('Runners'));
    expect([await sharing(walkers.id, bo.id), await sharing(runners.id, bo.id)]).toEqual([false, true]);

    // A member of no crew: told how, nothing written.
    expect((await text(stranger, 'NOTES ON')).last.body).toBe(NOTES_NOT_IN_CREW_TEXT);
    expect(await ledger(stranger.phone)).toEqual([]);
  }, 600_000);
});
