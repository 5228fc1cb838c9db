CREATE TABLE "subject_keys" (
	"subject" text PRIMARY KEY NOT NULL,
	"key_id" text NOT NULL,
	"master_key_id" text NOT NULL,
	"wrapped_key" "bytea",
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"destroyed_at" timestamp with time zone,
	CONSTRAINT "subject_keys_key_id_unique" UNIQUE("key_id"),
	CONSTRAINT "subject_keys_destroyed_has_no_key" CHECK (("subject_keys"."destroyed_at" is null) = ("subject_keys"."wrapped_key" is not null))
);
