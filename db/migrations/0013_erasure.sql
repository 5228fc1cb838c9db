CREATE TABLE "erasures" (
	"id" uuid PRIMARY KEY NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"requested_by" text NOT NULL,
	"phone_hash" text NOT NULL,
	"suppressed" text[] DEFAULT '{}' NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"step" text,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "erasures_phone_hash_idx" ON "erasures" USING btree ("phone_hash");