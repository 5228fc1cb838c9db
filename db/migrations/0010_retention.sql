ALTER TABLE "inbound_messages" ADD COLUMN "body_purged_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "body_purged_at" timestamp with time zone;