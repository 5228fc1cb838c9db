CREATE TABLE "conversation_expectations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"phone" text NOT NULL,
	"workflow_id" text NOT NULL,
	"accepts" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"idempotency_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "conversation_expectations_idempotency_key_unique" UNIQUE("idempotency_key")
);
--> statement-breakpoint
DROP INDEX "inbound_pending_idx";--> statement-breakpoint
ALTER TABLE "inbound_messages" ADD COLUMN "num_media" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "inbound_messages" ADD COLUMN "opt_out_type" text;--> statement-breakpoint
ALTER TABLE "inbound_messages" ADD COLUMN "route_claimed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "validity_seconds" integer;--> statement-breakpoint
CREATE INDEX "expectations_phone_idx" ON "conversation_expectations" USING btree ("phone","expires_at");--> statement-breakpoint
CREATE INDEX "inbound_from_idx" ON "inbound_messages" USING btree ("from_phone","id");--> statement-breakpoint
CREATE INDEX "inbound_pending_idx" ON "inbound_messages" USING btree ("received_at") WHERE route_status in ('pending', 'routing');