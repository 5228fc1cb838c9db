CREATE TABLE "sms_pacing" (
	"sender" text PRIMARY KEY NOT NULL,
	"next_slot_at" timestamp with time zone NOT NULL
);
