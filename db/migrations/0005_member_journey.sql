CREATE TABLE "goals" (
	"member_id" uuid NOT NULL,
	"goal_id" integer NOT NULL,
	"title" text NOT NULL,
	"cadence" jsonb NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"plan" jsonb,
	"plan_source" text,
	"created_on" date NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "goals_member_id_goal_id_pk" PRIMARY KEY("member_id","goal_id")
);
--> statement-breakpoint
CREATE TABLE "risk_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"member_id" uuid NOT NULL,
	"from_level" text NOT NULL,
	"to_level" text NOT NULL,
	"local_date" date NOT NULL,
	"adherence_7" double precision,
	"consecutive_misses" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "check_ins" ADD COLUMN "shareable" boolean;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "risk_level" text DEFAULT 'low' NOT NULL;--> statement-breakpoint
ALTER TABLE "goals" ADD CONSTRAINT "goals_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "risk_events" ADD CONSTRAINT "risk_events_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "risk_events_member_day_level" ON "risk_events" USING btree ("member_id","local_date","to_level");