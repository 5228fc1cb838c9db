/**
 * Guest lists and guests: create a list, import guests (JSON or CSV), list, edit and remove them.
 * Imports answer with counts and every rejected row (its 1-based number and the reason).
 */
import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { createGuestList, deleteGuest, insertGuests, updateGuest } from '../../db/campaigns.js';
import type { Db } from '../../db/client.js';
import { guestLists, guests, type Guest } from '../../db/schema.js';
import type { AppDeps } from '../deps.js';
import { csvRows, CsvError, MAX_IMPORT_ROWS, normaliseRows, type ImportRow } from '../guest-import.js';
import { BODY_PROBLEMS, createRouter, jsonBody, jsonResponse, problems } from '../openapi.js';
import { page } from '../pagination.js';
import { HttpProblem } from '../problem.js';
import { limit, text, timeZone, uuid } from '../schemas/atoms.js';

const tags = ['Guests'];
const listParam = z.object({ id: uuid('a guest list id').openapi({ param: { name: 'id', in: 'path' } }) });
const guestParam = listParam.extend({
  guestId: uuid('a guest id').openapi({ param: { name: 'guestId', in: 'path' } }),
});
const country = z
  .string()
  .regex(/^[A-Z]{2}$/, 'must be an ISO 3166 country code such as US')
  .openapi({ description: 'Country of numbers written without +country code (e.g. US)', example: 'US' });

const ImportRowSchema = z
  .object({
    phone: z.string().max(40, 'at most 40 characters'),
    name: z.string().max(100, 'at most 100 characters').nullable().optional(),
    timezone: z.string().max(64, 'at most 64 characters').nullable().optional(),
    variables: z.record(z.string().max(64), z.string().max(500)).optional(),
    consent: z
      .object({ source: z.string().max(200), at: z.string().max(40), text: z.string().max(1000) })
      .nullable()
      .optional(),
  })
  .openapi('GuestImportRow', {
    description:
      'One guest. No `timezone`: derived from the number. No `consent`: imported as "no consent", never texted.',
  });

const ImportResult = z
  .object({
    received: z.number().int(),
    imported: z.number().int(),
    withConsent: z.number().int(),
    withoutConsent: z.number().int(),
    rejected: z.array(
      z.object({
        row: z.number().int(),
        reason: z.enum([
          'invalid_number',
          'duplicate',
          'invalid_timezone',
          'unknown_timezone',
          'invalid_variable',
          'invalid_consent',
          'invalid_text',
        ]),
        detail: z.string(),
      }),
    ),
  })
  .openapi('GuestImportResult');

const GuestJson = z
  .object({
    id: z.string(),
    listId: z.string(),
    phone: z.string(),
    name: z.string().nullable(),
    timezone: z.string(),
    variables: z.record(z.string(), z.string()),
    consent: z.boolean(),
    createdAt: z.string(),
  })
  .openapi('Guest');

const ListJson = z
  .object({ id: z.string(), name: z.string(), guests: z.number().int(), createdAt: z.string() })
  .openapi('GuestList');

const toGuestJson = (g: Guest) => ({
  id: g.id,
  listId: g.listId,
  phone: g.phone,
  name: g.name,
  timezone: g.timezone,
  variables: g.variables,
  consent: g.consent,
  createdAt: g.createdAt.toISOString(),
});

const createListRoute = createRoute({
  method: 'post',
  path: '/',
  tags,
  summary: 'Create a guest list',
  request: { body: jsonBody(z.object({ name: text(100) }).openapi('CreateGuestList')) },
  responses: {
    201: {
      ...jsonResponse(ListJson, 'Created'),
      headers: z.object({ location: z.string().openapi({ description: '/guest-lists/<id>' }) }),
    },
    ...problems(...BODY_PROBLEMS),
  },
});
const getListRoute = createRoute({
  method: 'get',
  path: '/{id}',
  tags,
  summary: 'One guest list',
  request: { params: listParam },
  responses: { 200: jsonResponse(ListJson, 'The list'), ...problems(404) },
});
const importJsonRoute = createRoute({
  method: 'post',
  path: '/{id}/guests',
  tags,
  summary: 'Import guests (JSON): counts and every rejected row with its reason',
  request: {
    params: listParam,
    body: jsonBody(
      z
        .object({
          guests: z.array(ImportRowSchema).max(MAX_IMPORT_ROWS, `at most ${MAX_IMPORT_ROWS} rows per import`),
          defaultCountry: country.optional(),
        })
        .openapi('GuestImport'),
    ),
  },
  responses: { 200: jsonResponse(ImportResult, 'Imported'), ...problems(404, ...BODY_PROBLEMS) },
});
const importCsvRoute = createRoute({
  method: 'post',
  path: '/{id}/guests/csv',
  tags,
  summary:
    'Import guests (CSV with a header: phone, name, timezone, consent_source, consent_at, consent_text; other columns are variables)',
  request: {
    params: listParam,
    query: z.object({ defaultCountry: country.optional() }),
    body: { required: true, content: { 'text/csv': { schema: z.string() } } },
  },
  responses: { 200: jsonResponse(ImportResult, 'Imported'), ...problems(404, ...BODY_PROBLEMS) },
});
const listGuestsRoute = createRoute({
  method: 'get',
  path: '/{id}/guests',
  tags,
  summary: 'Guests of a list (by id)',
  request: {
    params: listParam,
    query: z.object({ limit: limit(100, 500), after: uuid('the nextAfter of the previous page').optional() }),
  },
  responses: {
    200: jsonResponse(
      z.object({ guests: z.array(GuestJson), nextAfter: z.string().nullable() }),
      'A page of guests; pass nextAfter as after for the next one',
    ),
    ...problems(404),
  },
});
const updateGuestRoute = createRoute({
  method: 'patch',
  path: '/{id}/guests/{guestId}',
  tags,
  summary: "Change a guest's name, zone or variables",
  request: {
    params: guestParam,
    body: jsonBody(
      z
        .object({
          name: text(100),
          timezone: timeZone,
          variables: z.record(
            z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a variable name'),
            z.string().max(500),
          ),
        })
        .partial()
        .refine((b) => Object.keys(b).length > 0, {
          message: 'send at least one of name, timezone, variables',
        })
        .openapi('UpdateGuest', { minProperties: 1 }),
    ),
  },
  responses: { 200: jsonResponse(GuestJson, 'The guest'), ...problems(404, ...BODY_PROBLEMS) },
});
const deleteGuestRoute = createRoute({
  method: 'delete',
  path: '/{id}/guests/{guestId}',
  tags,
  summary: 'Remove a guest (consent ledger kept)',
  request: { params: guestParam },
  responses: { 204: { description: 'Removed' }, ...problems(404) },
});

const notFound = (what: string) =>
  new HttpProblem({ title: 'Not found', status: 404, detail: `No ${what}.` });

async function requireList(db: Db, id: string) {
  const row = await db.query.guestLists.findFirst({ where: eq(guestLists.id, id) });
  if (!row) throw notFound(`guest list ${id}`);
  return row;
}

async function importRows(db: Db, listId: string, rows: ImportRow[], defaultCountry?: string) {
  const { guests: normalised, rejected } = normaliseRows(rows, defaultCountry as never);
  const { inserted, duplicates } = await insertGuests(db, listId, normalised);
  for (const i of duplicates)
    rejected.push({ row: normalised[i]!.row, reason: 'duplicate', detail: 'phone: already on this list' });
  rejected.sort((a, b) => a.row - b.row);
  const withConsent = inserted.filter((g) => g.consent).length;
  return {
    received: rows.length,
    imported: inserted.length,
    withConsent,
    withoutConsent: inserted.length - withConsent,
    rejected,
  };
}

export function guestListsRouter({ db, logger }: AppDeps) {
  return createRouter()
    .openapi(createListRoute, async (c) => {
      const row = await createGuestList(db, c.req.valid('json').name);
      return c.json({ id: row.id, name: row.name, guests: 0, createdAt: row.createdAt.toISOString() }, 201, {
        location: `/guest-lists/${row.id}`,
      });
    })
    .openapi(getListRoute, async (c) => {
      const list = await requireList(db, c.req.valid('param').id);
      const [n] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(guests)
        .where(eq(guests.listId, list.id));
      return c.json(
        { id: list.id, name: list.name, guests: n?.n ?? 0, createdAt: list.createdAt.toISOString() },
        200,
      );
    })
    .openapi(importJsonRoute, async (c) => {
      const { id } = c.req.valid('param');
      await requireList(db, id);
      const body = c.req.valid('json');
      const result = await importRows(db, id, body.guests, body.defaultCountry);
      logger.info(
        { listId: id, imported: result.imported, rejected: result.rejected.length },
        'guests imported',
      );
      return c.json(result, 200);
    })
    .openapi(importCsvRoute, async (c) => {
      const { id } = c.req.valid('param');
      await requireList(db, id);
      if (!/^text\/csv\b/i.test(c.req.header('content-type') ?? ''))
        throw new HttpProblem({
          title: 'Unsupported media type',
          status: 415,
          detail: 'Send the CSV as text/csv.',
          errors: [{ field: 'content-type', message: 'must be text/csv' }],
        });
      const body = await c.req.text();
      let rows: ImportRow[];
      try {
        if (body.trim() === '') throw new CsvError('is required (a CSV with a header row)');
        rows = csvRows(body);
      } catch (err) {
        if (!(err instanceof CsvError)) throw err;
        throw new HttpProblem({
          title: 'Invalid request',
          status: 400,
          detail: `body: ${err.message}`,
          errors: [{ field: 'body', message: err.message }],
        });
      }
      const result = await importRows(db, id, rows, c.req.valid('query').defaultCountry);
      logger.info(
        { listId: id, imported: result.imported, rejected: result.rejected.length },
        'guests imported',
      );
      return c.json(result, 200);
    })
    .openapi(listGuestsRoute, async (c) => {
      const { id } = c.req.valid('param');
      await requireList(db, id);
      const q = c.req.valid('query');
      const rows = await db
        .select()
        .from(guests)
        .where(and(eq(guests.listId, id), q.after ? gt(guests.id, q.after) : undefined))
        .orderBy(asc(guests.id))
        .limit(q.limit);
      const { items, nextBefore } = page(rows, q.limit, (g) => g.id);
      return c.json({ guests: items.map(toGuestJson), nextAfter: nextBefore }, 200);
    })
    .openapi(updateGuestRoute, async (c) => {
      const { id, guestId } = c.req.valid('param');
      const row = await updateGuest(db, id, guestId, c.req.valid('json'));
      if (!row) throw notFound(`guest ${guestId} on list ${id}`);
      return c.json(toGuestJson(row), 200);
    })
    .openapi(deleteGuestRoute, async (c) => {
      const { id, guestId } = c.req.valid('param');
      if (!(await deleteGuest(db, id, guestId))) throw notFound(`guest ${guestId} on list ${id}`);
      return c.body(null, 204);
    });
}
