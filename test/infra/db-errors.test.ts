/**
 * Database errors from a real PostgreSQL (the test database), classified and summarised without a value of the
 * failed query; the activity interceptor's treatment of each kind of error; the logger's redaction.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../db/client.js';
import { classifyDbError, classifySqlState, safeErrorSummary, scrubText } from '../../db/errors.js';
import { goals, members } from '../../db/schema.js';
import { sanitizeActivityError } from '../../worker/interceptors.js';
import { invalidInput } from '../../workflows/lib/failures.js';
import { createTestDatabase } from '../helpers/db.js';
import { captureLogger } from '../helpers/logs.js';

const PHONE = '+14155550161';
const NAME = 'Zelda Quimby';
const SECRET = 'my very private reflection';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
const member = (over: Partial<typeof members.$inferInsert> = {}) => ({
  id: randomUUID(),
  name: NAME,
  phone: PHONE,
  timezone: 'America/New_York',
  checkInTime: '07:00',
  ...over,
});

beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.insert(members).values(member());
  await database.sql`create table probe_checked (n integer constraint probe_n_positive check (n > 0), note text)`;
});
afterAll(async () => {
  await database?.close();
});

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error('expected the query to fail');
}

/** Everything an error would print: message, stack, own fields, its causes. */
function everything(err: unknown): string {
  const seen = new Set<unknown>();
  const walk = (e: unknown): string => {
    if (!e || typeof e !== 'object' || seen.has(e)) return String(e);
    seen.add(e);
    const x = e as Record<string, unknown>;
    return [
      String(x.message),
      String(x.stack),
      JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
      walk(x.cause),
    ].join('\n');
  };
  return walk(err);
}

describe('classifyDbError on real PostgreSQL errors', () => {
  it('23505 unique violation: integrity, never retried; the phone in detail and params is not repeated', async () => {
    const err = await failure(() => database.db.insert(members).values(member({ name: `${NAME} 2` })));
    // The raw error really carries the values (what used to be logged).
    expect(everything(err)).toContain(PHONE);
    const summary = classifyDbError(err)!;
    expect(summary).toMatchObject({
      kind: 'integrity',
      code: '23505',
      condition: 'unique_violation',
      table: 'members',
      constraint: 'members_phone_unique',
      retryable: false,
    });
    const safe = JSON.stringify(safeErrorSummary(err));
    expect(safe).toContain('23505');
    expect(safe).not.toContain(PHONE);
    expect(safe).not.toContain(NAME);
    expect(safe).not.toMatch(/insert into/i);
  });

  it('22021 NUL byte in a text value: data error, never retried', async () => {
    const err = await failure(() =>
      database.db.insert(members).values(member({ phone: '+14155550162', name: `Zel\u0000da` })),
    );
    expect(classifyDbError(err)).toMatchObject({ kind: 'data', code: '22021', retryable: false });
    expect(JSON.stringify(safeErrorSummary(err))).not.toContain('+14155550162');
  });

  it('22P05 \\u0000 in a jsonb value: data error, never retried', async () => {
    const id = randomUUID();
    await database.db.insert(members).values(member({ id, phone: '+14155550163' }));
    const err = await failure(() =>
      database.db.insert(goals).values({
        memberId: id,
        goalId: 1,
        title: 'Run',
        cadence: { kind: 'daily', note: `${SECRET}\u0000` },
        createdOn: '2026-11-30',
      }),
    );
    expect(classifyDbError(err)).toMatchObject({ kind: 'data', code: '22P05', retryable: false });
    expect(JSON.stringify(safeErrorSummary(err))).not.toContain(SECRET);
  });

  it('23514 check violation: integrity with the constraint name, never the row', async () => {
    const err = await failure(() =>
      database.db.execute(sql`insert into probe_checked values (-1, ${SECRET})`),
    );
    expect(everything(err)).toContain(SECRET);
    expect(classifyDbError(err)).toMatchObject({
      kind: 'integrity',
      code: '23514',
      table: 'probe_checked',
      constraint: 'probe_n_positive',
      retryable: false,
    });
    expect(JSON.stringify(safeErrorSummary(err))).not.toContain(SECRET);
  });

  it('22P02 whose Postgres message echoes the value: the message is not used', async () => {
    const err = await failure(() => database.db.execute(sql`select ${PHONE}::uuid`));
    expect((err as Error & { cause: Error }).cause.message).toContain(PHONE);
    const summary = safeErrorSummary(err);
    expect(summary).toMatchObject({ code: '22P02', kind: 'data', retryable: false });
    expect(JSON.stringify(summary)).not.toContain(PHONE);
  });

  it('a refused connection is transient and retried', async () => {
    const gone = createDb('postgres://x:y@127.0.0.1:1/none', { max: 1 });
    const err = await failure(() => gone.db.execute(sql`select 1`));
    await gone.close();
    expect(classifyDbError(err)).toMatchObject({ kind: 'transient', retryable: true, code: 'ECONNREFUSED' });
  });

  it('SQLSTATE classes: retry what a retry can fix, never what it cannot', () => {
    for (const code of ['40001', '40P01', '57P01', '57P03', '08006', '53300', '55P03'])
      expect(classifySqlState(code)).toMatchObject({ kind: 'transient', retryable: true });
    for (const code of ['22001', '22003', '23502', '23503', '23P01'])
      expect(classifySqlState(code).retryable).toBe(false);
    expect(classifySqlState('54000')).toMatchObject({ kind: 'limit', retryable: false });
    expect(classifySqlState('42P01')).toMatchObject({ kind: 'other', retryable: true });
  });

  it('an error that is not a database error is not classified as one', () => {
    expect(classifyDbError(new Error('twilio said no'))).toBeUndefined();
    expect(classifyDbError(undefined)).toBeUndefined();
  });
});

describe('scrubText', () => {
  it('removes phone numbers and e-mail addresses, keeps ids, dates and times readable', () => {
    const text =
      'to +14155550123 or +1 (415) 555-0123, (415) 555-0123, 4155550123, ana.b+x@example.co.uk; ' +
      'sid SM0123456789abcdef0123456789abcdef on 2026-11-30 at 07:30, member 7c1e9a52-1f2b-4c3d-8e9f-0a1b2c3d4e5f';
    const out = scrubText(text);
    expect(out).not.toMatch(/555|example/);
    expect(out).toContain('SM0123456789abcdef0123456789abcdef');
    expect(out).toContain('2026-11-30 at 07:30');
    expect(out).toContain('7c1e9a52-1f2b-4c3d-8e9f-0a1b2c3d4e5f');
  });
});

describe('sanitizeActivityError (the activity interceptor)', () => {
  it('a database error becomes a non-retryable ApplicationFailure with only the summary', async () => {
    const err = await failure(() => database.db.insert(members).values(member({ name: `${NAME} 3` })));
    const out = sanitizeActivityError(err);
    expect(out).toBeInstanceOf(ApplicationFailure);
    const f = out as ApplicationFailure;
    expect(f).toMatchObject({ type: 'DatabaseIntegrityError', nonRetryable: true });
    expect(f.details).toEqual([
      { code: '23505', condition: 'unique_violation', table: 'members', constraint: 'members_phone_unique' },
    ]);
    expect(f.cause).toBeUndefined();
    expect(everything(f)).not.toContain(PHONE);
    expect(everything(f)).not.toContain(NAME);
  });

  it('a lost connection stays retryable', async () => {
    const gone = createDb('postgres://x:y@127.0.0.1:1/none', { max: 1 });
    const err = await failure(() => gone.db.execute(sql`select 1`));
    await gone.close();
    expect(sanitizeActivityError(err)).toMatchObject({ type: 'DatabaseUnavailable', nonRetryable: false });
  });

  it('an ApplicationFailure thrown on purpose passes untouched', () => {
    const failure = invalidInput('title', 'must not contain control characters');
    expect(sanitizeActivityError(failure)).toBe(failure);
    expect(failure.message).toBe('title: must not contain control characters');
  });

  it('any other error keeps its class and retryability, with numbers and addresses scrubbed', () => {
    class ProviderError extends Error {
      override name = 'ProviderError';
    }
    const err = new ProviderError(`The 'To' number ${PHONE} is not valid`, {
      cause: new Error('mail ana@example.com'),
    });
    const out = sanitizeActivityError(err) as Error;
    expect(out).toBe(err);
    expect(out).toBeInstanceOf(ProviderError);
    expect(everything(out)).not.toContain(PHONE);
    expect(everything(out)).not.toContain('ana@example.com');
    expect(out.message).toBe("The 'To' number [number] is not valid");
  });
});

describe('createLogger', () => {
  it('redacts personal keys at any depth and logs errors by their safe summary', async () => {
    const { logger, lines } = captureLogger();
    const dbErr = await failure(() => database.db.insert(members).values(member({ name: `${NAME} 4` })));
    logger.info({ member: { profile: { name: NAME, phone: PHONE } }, body: SECRET, err: dbErr }, 'created');
    logger.warn({ error: new Error(`sms to ${PHONE} failed`) }, `retrying ${PHONE}`);
    logger.error({ nested: [{ to: PHONE, email: 'ana@example.com' }] }, 'oops');
    expect(lines).toHaveLength(3);
    const all = lines.join('\n');
    for (const v of [PHONE, NAME, SECRET, 'ana@example.com']) expect(all).not.toContain(v);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(first.err).toMatchObject({
      name: 'DatabaseError',
      code: '23505',
      constraint: 'members_phone_unique',
    });
    expect(JSON.parse(lines[1]!)).toMatchObject({ msg: 'retrying [number]' });
  });

  it("withholds drizzle's query text even when an error was flattened into a plain object or a string", async () => {
    const { logger, lines } = captureLogger();
    const dbErr = (await failure(() =>
      database.db.insert(members).values(member({ name: `${NAME} 5` })),
    )) as Error;
    expect(dbErr.message).toContain(PHONE);
    logger.error(
      { err: { name: dbErr.name, message: dbErr.message, stack: dbErr.stack } },
      'unhandled error',
    );
    logger.warn({ err: dbErr.message }, 'inbox drain failed');
    const all = lines.join('\n');
    expect(all).not.toContain(PHONE);
    expect(all).not.toContain(NAME);
    expect(JSON.parse(lines[0]!)).toMatchObject({ err: { message: '[database query text withheld]' } });
  });
});
