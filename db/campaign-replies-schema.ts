/**
 * Replies from guests to a campaign (routed by conversation routing; written only through db/campaigns.ts). The
 * text itself stays in `inbound_messages` (its one home, under the same storage rules as every inbound text):
 * a reply row points at it.
 */
import { bigint, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { RSVP_ANSWERS } from '../workflows/guest-campaign/replies.js';
import { campaigns, guests } from './campaigns-schema.js';

export const campaignReplies = pgTable(
  'campaign_replies',
  {
    /** inbound_messages.id: a redelivered or re-routed text is one reply. */
    inboundId: bigint('inbound_id', { mode: 'number' }).primaryKey(),
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    guestId: uuid('guest_id')
      .notNull()
      .references(() => guests.id, { onDelete: 'cascade' }),
    answer: text('answer', { enum: RSVP_ANSWERS }).notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('campaign_replies_campaign_idx').on(t.campaignId, t.guestId)],
);

export type CampaignReply = typeof campaignReplies.$inferSelect;
