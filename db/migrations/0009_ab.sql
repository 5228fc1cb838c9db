ALTER TABLE "campaign_recipients" ADD COLUMN "variant" integer;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "variants" jsonb;