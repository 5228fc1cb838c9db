/**
 * Guest lists and guests: create a list, import guests (JSON or CSV), list, edit and remove them.
 * An import is a resource (`POST /guest-lists/{id}/imports` → 202, then `GET …/imports/{importId}` for progress,
 * counts and the rejected rows, paged), up to MAX_IMPORT_ROWS rows and MAX_IMPORT_BYTES. The older synchronous
 * routes (`/guests`, `/guests/csv`) run the same import and wait for it, for bodies within the API's 64 KiB limit.
 */
import { createHash } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { createGuestList, deleteGuest, importRejections, updateGuest } from '../../db/campaigns.js';
import type { Db } from '../../db/client.js';
import {
  guestLists,
  guests,
  IMPORT_FORMATS,
  IMPORT_STATUSES,
  REJECT_REASONS,
  type Guest,
  type GuestImport,
  type ImportFormat,
} from '../../db/schema.js';
import type { AppDeps } from '../deps.js';
import {
  CsvError,
  ImportNormaliser,
  MAX_IMPORT_BYTES,
  MAX_IMPORT_ROWS,
  readCsv,
  type ImportRow,
} from '../guest-import.js';
import { getImport, startImport } from '../guest-imports.js';
import { BODY_PROBLEMS, createRouter, jsonBody, jsonResponse, problems } from '../openapi.js';
import { page } from '../pagination.js';
import { HttpProblem, invalidRequest } from '../problem.js';
import { intId, limit, text, timeZone, uuid } from '../schemas/atoms.js';

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

const RejectedRowJson = z
  .object({
    row: z.number().int().openapi({ description: '1-based data row (CSV: the header not counted)' }),
    reason: z.enum(REJECT_REASONS),
    detail: z.string(),
  })
  .openapi('RejectedImportRow');

const ImportResult = z
  .object({
    received: z.number().int(),
    imported: z.number().int(),
    withConsent: z.number().int(),
    withoutConsent: z.number().int(),
    rejected: z.array(RejectedRowJson),
  })
  .openapi('GuestImportResult');

const ImportBody = z
  .object({
    guests: z.array(ImportRowSchema).max(MAX_IMPORT_ROWS, `at most ${MAX_IMPORT_ROWS} rows per import`),
    defaultCountry: country.optional(),
  })
  .openapi('GuestImport');

const ImportJson = z
  .object({
    id: z.string(),
    listId: z.string(),
    format: z.enum(IMPORT_FORMATS),
    status: z.enum(IMPORT_STATUSES),
    total: z.number().int().openapi({ description: 'Data rows received' }),
    processed: z.number().int().openapi({ description: 'Rows written so far (progress: processed / total)' }),
    imported: z.number().int(),
    withConsent: z.number().int(),
    withoutConsent: z.number().int(),
    rejected: z
      .number()
      .int()
      .openapi({ description: 'Rows rejected so far (listed in rejectedRows, paged)' }),
    error: z.string().nullable(),
    createdAt: z.string(),
    completedAt: z.string().nullable(),
  })
  .openapi('GuestImportStatus');

const ImportPage = ImportJson.extend({
  rejectedRows: z.array(RejectedRowJson),
  nextAfter: z
    .number()
    .int()
    .nullable()
    .openapi({ description: 'More rejected rows: pass as `after` for the next page' }),
}).openapi('GuestImportWithRejections');

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
  summary:
    'Import guests (JSON, within 64 KiB; larger: POST /guest-lists/{id}/imports), waiting for the result: counts and every rejected row',
  request: {
    params: listParam,
    body: jsonBody(ImportBody),
  },
  responses: { 200: jsonResponse(ImportResult, 'Imported'), ...problems(404, ...BODY_PROBLEMS) },
});
const importCsvRoute = createRoute({
  method: 'post',
  path: '/{id}/guests/csv',
  tags,
  summary:
    'Import guests (CSV with a header: phone, name, timezone, consent_source, consent_at, consent_text; other columns are variables), within 64 KiB, waiting for the result',
  request: {
    params: listParam,
    query: z.object({ defaultCountry: country.optional() }),
    body: { required: true, content: { 'text/csv': { schema: z.string() } } },
  },
  responses: { 200: jsonResponse(ImportResult, 'Imported'), ...problems(404, ...BODY_PROBLEMS) },
});
const importParam = listParam.extend({
  importId: uuid('an import id').openapi({ param: { name: 'importId', in: 'path' } }),
});
const createImportRoute = createRoute({
  method: 'post',
  path: '/{id}/imports',
  tags,
  summary: `Start an import (JSON or CSV, up to ${MAX_IMPORT_ROWS} rows and ${MAX_IMPORT_BYTES / 1024 / 1024} MiB): 202 with the import; the same upload again is the same import`,
  request: {
    params: listParam,
    query: z.object({
      defaultCountry: country.optional().openapi({ description: 'CSV only (JSON: in the body)' }),
    }),
    body: {
      required: true,
      content: {
        'application/json': { schema: { $ref: '#/components/schemas/GuestImport' } },
        'text/csv': {
          schema: z.string().openapi({
            description:
              'A header row (phone, name, timezone, consent_source, consent_at, consent_text; other columns are variables), then one guest per row',
          }),
        },
      },
    },
  },
  responses: {
    202: {
      ...jsonResponse(
        ImportJson,
        'Accepted: the import is being written (or is the earlier import of this same upload)',
      ),
      headers: z.object({
        location: z.string().openapi({ description: '/guest-lists/<id>/imports/<importId>' }),
      }),
    },
    ...problems(404, ...BODY_PROBLEMS),
  },
});
const getImportRoute = createRoute({
  method: 'get',
  path: '/{id}/imports/{importId}',
  tags,
  summary: 'An import: status, progress (processed of total), counts and its rejected rows (paged by row)',
  request: {
    params: importParam,
    query: z.object({
      limit: limit(100, 1000),
      after: intId('the nextAfter of the previous page').optional(),
    }),
  },
  responses: { 200: jsonResponse(ImportPage, 'The import'), ...problems(404) },
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

const importJson = (row: GuestImport) => ({
  id: row.id,
  listId: row.listId,
  format: row.format,
  status: row.status,
  total: row.total,
  processed: row.processed,
  imported: row.imported,
  withConsent: row.withConsent,
  withoutConsent: row.imported - row.withConsent,
  rejected: row.rejected,
  error: row.error,
  createdAt: row.createdAt.toISOString(),
  completedAt: row.completedAt?.toISOString() ?? null,
});

const badBody = (message: string) =>
  new HttpProblem({
    title: 'Invalid request',
    status: 400,
    detail: `body: ${message}`,
    errors: [{ field: 'body', message }],
  });

/** The content key of an upload: the same bytes, format and default country to the same list = the same import. */
const contentHash = (format: ImportFormat, defaultCountry: string | undefined) =>
  createHash('sha256').update(`${format}\n${defaultCountry ?? ''}\n`);

/** Read and normalise a CSV body (streamed); 400 naming `body` when it is not usable CSV. */
async function normaliseCsv(c: Context, defaultCountry: string | undefined) {
  if (!/^text\/csv\b/i.test(c.req.header('content-type') ?? ''))
    throw new HttpProblem({
      title: 'Unsupported media type',
      status: 415,
      detail: 'Send the CSV as text/csv.',
      errors: [{ field: 'content-type', message: 'must be text/csv' }],
    });
  const rows = new ImportNormaliser(defaultCountry as never);
  const hash = contentHash('csv', defaultCountry);
  try {
    await readCsv(c.req.raw.body, hash, (r: ImportRow) => rows.add(r));
  } catch (err) {
    if (err instanceof CsvError) throw badBody(err.message);
    throw err;
  }
  return { rows, contentKey: hash.digest('hex') };
}

function normaliseJson(body: z.infer<typeof ImportBody>, raw: string) {
  const rows = new ImportNormaliser(body.defaultCountry as never);
  for (const r of body.guests) rows.add(r);
  return { rows, contentKey: contentHash('json', body.defaultCountry).update(raw).digest('hex') };
}

export function guestListsRouter({ db, logger }: AppDeps) {
  /** The synchronous routes: run the import, wait for it, answer with its counts and every rejected row. */
  const importAndWait = async (
    listId: string,
    format: ImportFormat,
    { rows, contentKey }: { rows: ImportNormaliser; contentKey: string },
  ) => {
    const { row, done } = await startImport({ db, logger }, { listId, contentKey, format, rows });
    await done;
    const imp = (await getImport(db, listId, row.id))!;
    if (imp.status !== 'completed')
      throw new HttpProblem({
        title: 'Service unavailable',
        status: 503,
        detail: imp.error ?? 'The import is still being written by another request.',
      });
    return {
      received: imp.total,
      imported: imp.imported,
      withConsent: imp.withConsent,
      withoutConsent: imp.imported - imp.withConsent,
      rejected: await importRejections(db, imp.id, 0, imp.total || 1),
    };
  };

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
      return c.json(await importAndWait(id, 'json', normaliseJson(body, JSON.stringify(body))), 200);
    })
    .openapi(importCsvRoute, async (c) => {
      const { id } = c.req.valid('param');
      await requireList(db, id);
      return c.json(
        await importAndWait(id, 'csv', await normaliseCsv(c, c.req.valid('query').defaultCountry)),
        200,
      );
    })
    .openapi(createImportRoute, async (c) => {
      const { id } = c.req.valid('param');
      await requireList(db, id);
      const type = c.req.header('content-type') ?? '';
      let upload: { rows: ImportNormaliser; contentKey: string };
      let format: ImportFormat;
      if (/^application\/json\b/i.test(type)) {
        const raw = await c.req.text();
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw);
        } catch {
          throw badBody('is not valid JSON');
        }
        const body = ImportBody.safeParse(parsed);
        if (!body.success) return invalidRequest(c, body.error, 'body') as never;
        if (c.req.valid('query').defaultCountry !== undefined)
          throw new HttpProblem({
            title: 'Invalid request',
            status: 400,
            detail: 'defaultCountry: for JSON, give it in the body',
            errors: [{ field: 'defaultCountry', message: 'for JSON, give it in the body' }],
          });
        upload = normaliseJson(body.data, raw);
        format = 'json';
      } else if (/^text\/csv\b/i.test(type)) {
        upload = await normaliseCsv(c, c.req.valid('query').defaultCountry);
        format = 'csv';
      } else {
        throw new HttpProblem({
          title: 'Unsupported media type',
          status: 415,
          detail: 'Send the import as application/json or text/csv.',
          errors: [{ field: 'content-type', message: 'must be application/json or text/csv' }],
        });
      }
      const { row } = await startImport({ db, logger }, { listId: id, format, ...upload });
      return c.json(importJson(row), 202, { location: `/guest-lists/${id}/imports/${row.id}` });
    })
    .openapi(getImportRoute, async (c) => {
      const { id, importId } = c.req.valid('param');
      const q = c.req.valid('query');
      const imp = await getImport(db, id, importId);
      if (!imp) throw notFound(`import ${importId} of list ${id}`);
      const rows = await importRejections(db, imp.id, q.after ?? 0, q.limit);
      const { items, nextBefore } = page(rows, q.limit, (r) => r.row);
      return c.json({ ...importJson(imp), rejectedRows: items, nextAfter: nextBefore }, 200);
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
