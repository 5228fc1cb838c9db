CREATE TABLE "mentors" (
	"id" uuid PRIMARY KEY NOT NULL,
	"member_id" uuid NOT NULL,
	"expertise" text[] NOT NULL,
	"languages" text[] NOT NULL,
	"availability" jsonb NOT NULL,
	"capacity" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "mentors_member_id_unique" UNIQUE("member_id")
);
--> statement-breakpoint
CREATE TABLE "mentorship_matches" (
	"id" uuid PRIMARY KEY NOT NULL,
	"mentee_member_id" uuid NOT NULL,
	"focus_areas" text[] NOT NULL,
	"languages" text[] NOT NULL,
	"availability" jsonb NOT NULL,
	"share_risk" boolean NOT NULL,
	"weeks" integer NOT NULL,
	"status" text DEFAULT 'requested' NOT NULL,
	"mentor_id" uuid,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mentorship_offers" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"match_id" uuid NOT NULL,
	"mentor_id" uuid NOT NULL,
	"rank" integer NOT NULL,
	"score" double precision NOT NULL,
	"breakdown" jsonb NOT NULL,
	"weights_version" text NOT NULL,
	"status" text NOT NULL,
	"reason" text,
	"offered_at" timestamp with time zone NOT NULL,
	"deadline_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mentorship_weights" (
	"version" text PRIMARY KEY NOT NULL,
	"weights" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "mentors" ADD CONSTRAINT "mentors_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mentorship_matches" ADD CONSTRAINT "mentorship_matches_mentee_member_id_members_id_fk" FOREIGN KEY ("mentee_member_id") REFERENCES "public"."members"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mentorship_matches" ADD CONSTRAINT "mentorship_matches_mentor_id_mentors_id_fk" FOREIGN KEY ("mentor_id") REFERENCES "public"."mentors"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mentorship_offers" ADD CONSTRAINT "mentorship_offers_match_id_mentorship_matches_id_fk" FOREIGN KEY ("match_id") REFERENCES "public"."mentorship_matches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mentorship_offers" ADD CONSTRAINT "mentorship_offers_mentor_id_mentors_id_fk" FOREIGN KEY ("mentor_id") REFERENCES "public"."mentors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "mentorship_matches_status_idx" ON "mentorship_matches" USING btree ("status");--> statement-breakpoint
CREATE INDEX "mentorship_matches_mentor_idx" ON "mentorship_matches" USING btree ("mentor_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "mentorship_offers_match_mentor_uq" ON "mentorship_offers" USING btree ("match_id","mentor_id");