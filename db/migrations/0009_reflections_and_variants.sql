CREATE TABLE "crew_reflection_decisions" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "crew_reflection_decisions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"reflection_id" uuid NOT NULL,
	"status" text NOT NULL,
	"decided_by" text NOT NULL,
	"reason" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "crew_reflection_flags" (
	"reflection_id" uuid NOT NULL,
	"member_id" uuid NOT NULL,
	"via" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "crew_reflection_flags_reflection_id_member_id_pk" PRIMARY KEY("reflection_id","member_id")
);
--> statement-breakpoint
CREATE TABLE "crew_reflections" (
	"id" uuid PRIMARY KEY NOT NULL,
	"challenge_id" uuid NOT NULL,
	"member_id" uuid NOT NULL,
	"day" integer NOT NULL,
	"text" text NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"review_by" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "campaign_recipients" ADD COLUMN "variant" integer;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "variants" jsonb;--> statement-breakpoint
ALTER TABLE "crew_reflection_decisions" ADD CONSTRAINT "crew_reflection_decisions_reflection_id_crew_reflections_id_fk" FOREIGN KEY ("reflection_id") REFERENCES "public"."crew_reflections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crew_reflection_flags" ADD CONSTRAINT "crew_reflection_flags_reflection_id_crew_reflections_id_fk" FOREIGN KEY ("reflection_id") REFERENCES "public"."crew_reflections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crew_reflection_flags" ADD CONSTRAINT "crew_reflection_flags_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crew_reflections" ADD CONSTRAINT "crew_reflections_challenge_id_crew_challenges_id_fk" FOREIGN KEY ("challenge_id") REFERENCES "public"."crew_challenges"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crew_reflections" ADD CONSTRAINT "crew_reflections_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "crew_reflection_decisions_idx" ON "crew_reflection_decisions" USING btree ("reflection_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "crew_reflections_one_per_day" ON "crew_reflections" USING btree ("challenge_id","member_id","day");--> statement-breakpoint
CREATE INDEX "crew_reflections_challenge_idx" ON "crew_reflections" USING btree ("challenge_id","created_at");