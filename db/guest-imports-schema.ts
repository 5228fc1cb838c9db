/**
 * Guest imports as resources: one row per import (status and progress) and its rejected rows. Written only through
 * db/campaigns.ts (the writer of guests, which an import fills).
 */
import { integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { guestLists } from './campaigns-schema.js';

/** `running`: rows are being written (progress in `processed` of `total`); `completed`; `failed` (see `error`). */
export const IMPORT_STATUSES = ['running', 'completed', 'failed'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];
export const IMPORT_FORMATS = ['json', 'csv'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** Why an import row was not imported. */
export const REJECT_REASONS = [
  'invalid_number',
  'duplicate',
  'invalid_timezone',
  'unknown_timezone',
  'invalid_variable',
  'invalid_consent',
  'invalid_text',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

const stamp = (name: string) => timestamp(name, { withTimezone: true }).notNull().defaultNow();

export const guestImports = pgTable(
  'guest_imports',
  {
    id: uuid('id').primaryKey(),
    listId: uuid('list_id')
      .notNull()
      .references(() => guestLists.id, { onDelete: 'cascade' }),
    /** sha256 of the format, default country and body: the same upload to the same list is the same import. */
    contentKey: text('content_key').notNull(),
    format: text('format', { enum: IMPORT_FORMATS }).notNull(),
    status: text('status', { enum: IMPORT_STATUSES }).notNull().default('running'),
    /** Data rows received. */
    total: integer('total').notNull(),
    /** Rows written so far (each batch, its guests, rejections and this counter commit together). */
    processed: integer('processed').notNull().default(0),
    imported: integer('imported').notNull().default(0),
    withConsent: integer('with_consent').notNull().default(0),
    rejected: integer('rejected').notNull().default(0),
    /** Why a failed import stopped (never personal data). */
    error: text('error'),
    createdAt: stamp('created_at'),
    updatedAt: stamp('updated_at'),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('guest_imports_list_content').on(t.listId, t.contentKey)],
);

export const guestImportRejections = pgTable(
  'guest_import_rejections',
  {
    importId: uuid('import_id')
      .notNull()
      .references(() => guestImports.id, { onDelete: 'cascade' }),
    /** 1-based data row (CSV: the header not counted). */
    row: integer('row').notNull(),
    reason: text('reason', { enum: REJECT_REASONS }).notNull(),
    detail: text('detail').notNull(),
  },
  (t) => [primaryKey({ columns: [t.importId, t.row] })],
);

export type GuestImport = typeof guestImports.$inferSelect;
export type GuestImportRejection = typeof guestImportRejections.$inferSelect;
