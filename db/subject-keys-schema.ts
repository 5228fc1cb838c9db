/**
 * Per-subject data keys for the payload codec (db/payload-codec.ts): one AES-256 key per data subject (a member,
 * a guest…), stored wrapped (AES-256-GCM) by a master key that never reaches the database. Crypto-shredding
 * nulls `wrapped_key` and sets `destroyed_at`: every payload sealed with that key becomes unreadable for good.
 */
import { sql } from 'drizzle-orm';
import { check, customType, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

export const subjectKeys = pgTable(
  'subject_keys',
  {
    /** `<kind>:<id>`, e.g. `member:<uuid>` (workflows/lib/subject.ts): ids only, never a phone number. */
    subject: text('subject').primaryKey(),
    /** Random id stored beside every payload sealed with this key (it binds the ciphertext through the AAD). */
    keyId: text('key_id').notNull().unique(),
    /** Which master key wrapped it (PAYLOAD_MASTER_KEY's id): old ids still unwrap after a rotation. */
    masterKeyId: text('master_key_id').notNull(),
    /** nonce ‖ ciphertext ‖ tag; null once destroyed. */
    wrappedKey: bytea('wrapped_key'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    destroyedAt: timestamp('destroyed_at', { withTimezone: true }),
  },
  (t) => [
    check(
      'subject_keys_destroyed_has_no_key',
      sql`(${t.destroyedAt} is null) = (${t.wrappedKey} is not null)`,
    ),
  ],
);
