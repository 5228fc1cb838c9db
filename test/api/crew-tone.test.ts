/**
 * The crew's tone through the API (real Postgres, time-skipping server, real worker): set at creation (the member
 * tone values, default friendly), shown when a crew is read or listed, refused with a 400 naming `tone` when it is
 * not a tone (nothing written), and handed to the challenge workflow that writes the crew's weekly text.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { crews } from '../../db/crew-schema.js';
import { crewChallengeWorkflowId } from '../../workflows/ids.js';
import type { CrewChallengeInput } from '../../workflows/crew-challenge/definitions.js';
import { jsonCalls } from '../helpers/app.js';
import { insertActiveMember } from '../helpers/members.js';
import { stackWithApp } from '../helpers/stack.js';

const t = stackWithApp();
let seq = 0;

const call = jsonCalls(() => t.app);

const member = async () =>
  (await insertActiveMember(t.database.db, `+1646557${String(4000 + seq++)}`, 'Europe/Berlin')).id;

const newCrew = (organiserMemberId: string, extra: Record<string, unknown> = {}) =>
  call<{ id: string; tone: string }>('POST', '/crews', {
    name: 'Tone crew',
    purpose: 'walks',
    maxSize: 5,
    joinable: true,
    timezone: 'Europe/Berlin',
    organiserMemberId,
    consent: { pulses: true, reflections: false },
    ...extra,
  });

describe('crew tone', () => {
  it('is set at creation, friendly by default, and shown on read and list', async () => {
    const calm = await newCrew(await member(), { tone: 'calm' });
    expect(calm.status).toBe(201);
    expect(calm.body.tone).toBe('calm');
    const plain = await newCrew(await member());
    expect(plain.status).toBe(201);
    expect(plain.body.tone).toBe('friendly');
    expect((await call<{ tone: string }>('GET', `/crews/${calm.body.id}`)).body.tone).toBe('calm');
    const listed = await call<{ crews: Array<{ id: string; tone: string }> }>('GET', '/crews?limit=50');
    expect(listed.body.crews.find((c) => c.id === calm.body.id)?.tone).toBe('calm');
    const [row] = await t.database.db.select().from(crews).where(eq(crews.id, plain.body.id));
    expect(row?.tone).toBe('friendly');
  });

  it('refuses anything but a tone with a 400 naming tone, and writes nothing', async () => {
    const organiser = await member();
    for (const tone of ['rude', '', 3, null]) {
      const res = await newCrew(organiser, { tone, name: `Bad tone ${String(tone)}` });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ errors: [expect.objectContaining({ field: 'tone' })] });
    }
    const rows = await t.database.db.select().from(crews);
    expect(rows.filter((r) => r.name.startsWith('Bad tone'))).toEqual([]);
  });

  it("hands the crew's tone to its challenge workflow", async () => {
    const crew = await newCrew(await member(), { tone: 'tough_love' });
    const start = new Date(Date.now() + 200 * 86_400_000).toISOString().slice(0, 10);
    const res = await call<{ challengeId: string }>('POST', `/crews/${crew.body.id}/challenges`, {
      title: 'Push-ups',
      days: 7,
      startDate: start,
      minSize: 3,
    });
    expect(res.status).toBe(201);
    const history = await t.env.client.workflow
      .getHandle(crewChallengeWorkflowId(res.body.challengeId))
      .fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const payload = started?.input?.payloads?.[0]?.data;
    const input = JSON.parse(Buffer.from(payload!).toString('utf8')) as CrewChallengeInput;
    expect(input.tone).toBe('tough_love');
  });
});
