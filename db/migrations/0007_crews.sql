CREATE TABLE "crew_challenges" (
	"id" uuid PRIMARY KEY NOT NULL,
	"crew_id" uuid NOT NULL,
	"title" text NOT NULL,
	"days" integer NOT NULL,
	"start_date" date NOT NULL,
	"min_size" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "crew_members" (
	"crew_id" uuid NOT NULL,
	"member_id" uuid NOT NULL,
	"role" text DEFAULT 'member' NOT NULL,
	"share_pulses" boolean NOT NULL,
	"share_reflections" boolean NOT NULL,
	"joined_at" timestamp with time zone DEFAULT now() NOT NULL,
	"left_at" timestamp with time zone,
	CONSTRAINT "crew_members_crew_id_member_id_pk" PRIMARY KEY("crew_id","member_id")
);
--> statement-breakpoint
CREATE TABLE "crews" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"purpose" text NOT NULL,
	"max_size" integer NOT NULL,
	"joinable" boolean NOT NULL,
	"join_code" text NOT NULL,
	"timezone" text NOT NULL,
	"pulse_k" integer DEFAULT 5 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "crew_challenges" ADD CONSTRAINT "crew_challenges_crew_id_crews_id_fk" FOREIGN KEY ("crew_id") REFERENCES "public"."crews"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crew_members" ADD CONSTRAINT "crew_members_crew_id_crews_id_fk" FOREIGN KEY ("crew_id") REFERENCES "public"."crews"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crew_members" ADD CONSTRAINT "crew_members_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "crew_challenges_crew_idx" ON "crew_challenges" USING btree ("crew_id","created_at");--> statement-breakpoint
CREATE INDEX "crew_members_member_idx" ON "crew_members" USING btree ("member_id");--> statement-breakpoint
CREATE UNIQUE INDEX "crews_join_code" ON "crews" USING btree ("join_code");--> statement-breakpoint
CREATE INDEX "crews_joinable_idx" ON "crews" USING btree ("created_at","id") WHERE joinable;