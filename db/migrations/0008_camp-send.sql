ALTER TABLE "campaigns" ADD COLUMN "send_at_local" jsonb;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "rate_mps" double precision;