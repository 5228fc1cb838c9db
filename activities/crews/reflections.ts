/**
 * Crew reflections (the crew-challenge workflow's reflection group): when a counted answer carries a reflection
 * and its author consented to share reflections with the crew, store it REDACTED (activities/crews/
 * redact-reflection.ts; the raw text is never written or logged) and moderate it:
 *
 * - OpenAI moderation (official SDK, `omni-moderation-latest`) when a client is configured, on the redacted text
 *   only (no phone number or e-mail reaches OpenAI); otherwise the small word list below.
 * - clean → `shared`; flagged, or moderation unavailable (fails closed) → `pending_review` for an operator,
 *   with a review deadline of REVIEW_HOURS; undecided by then → `expired` (db/crews.ts expireReflections, run
 *   on every read), never shown.
 *
 * Idempotent: one reflection per member and challenge day (the business key); a retry finds it stored.
 */
import type OpenAI from 'openai';
import type { Db } from '../../db/client.js';
import { crewMembership, findChallenge, insertReflection, visibleReflections } from '../../db/crews.js';
import { members } from '../../db/schema.js';
import { inArray } from 'drizzle-orm';
import { markedFor } from '../../workflows/lib/subject.js';
import { redactReflection } from './redact-reflection.js';

/** How long a held reflection waits for an operator before it expires. */
export const REVIEW_HOURS = 48;
export const REFLECTION_MODERATION_MODEL = 'omni-moderation-latest';

/** Without OpenAI: words (and their inflections by prefix) that hold a reflection for review. Lower case. */
export const HOLD_WORDS: readonly string[] = [
  'kill',
  'suicid',
  'die',
  'hate',
  'stupid',
  'idiot',
  'fuck',
  'shit',
  'bitch',
  'bastard',
  'cunt',
  'slut',
  'whore',
  'retard',
  'nigg',
  'fag',
  'rape',
  'nazi',
  'weapon',
  'gun',
];

/** The word-list categories a text trips (pure): empty when clean. */
export function wordListFlags(text: string): string[] {
  const words = text
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}]+/u);
  const hits = new Set<string>();
  for (const w of words) for (const h of HOLD_WORDS) if (w.startsWith(h)) hits.add(h);
  return [...hits].sort();
}

export interface StoreReflectionInput {
  challengeId: string;
  memberId: string;
  /** The challenge day (1-based) the answer counted for. */
  day: number;
  text: string;
}

export type StoreReflectionResult =
  | { stored: true; reflectionId: string; status: string }
  | { stored: false; reason: 'no_consent' | 'no_challenge' | 'empty' };

export interface ReflectionForPulseInput {
  challengeId: string;
  /** Ids of the reflections already carried by an earlier pulse text (each goes out once). */
  carried: string[];
}

export interface ReflectionForPulseResult {
  /** The oldest shared reflection not carried yet (redacted text; the author's id only to leave them out). */
  reflection: { id: string; memberId: string; text: string } | null;
  /** Current crew members who consented to share reflections: the only ones who receive one by SMS. */
  recipients: string[];
}

export function createReflectionActivities(deps: { db: Db; openai?: OpenAI | null; now?: () => Date }) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());

  async function moderate(text: string): Promise<{ clean: boolean; reason: string }> {
    if (deps.openai) {
      try {
        const res = await deps.openai.moderations.create({ model: REFLECTION_MODERATION_MODEL, input: text });
        const r = res.results[0];
        if (!r) return { clean: false, reason: 'moderation gave no result; held for review' };
        const cats = Object.entries(r.categories)
          .filter(([, v]) => v === true)
          .map(([k]) => k)
          .sort();
        return r.flagged || cats.length
          ? { clean: false, reason: `moderation flagged: ${cats.join(', ') || 'flagged'}` }
          : { clean: true, reason: 'moderation: clean' };
      } catch {
        // Fails closed: no retry loop on the provider; an operator decides (or it expires).
        return { clean: false, reason: 'moderation unavailable; held for review' };
      }
    }
    const hits = wordListFlags(text);
    return hits.length
      ? { clean: false, reason: `word list: ${hits.length} held word(s)` }
      : { clean: true, reason: 'word list: clean' };
  }

  return {
    /** Stores a counted answer's reflection redacted, moderated, when its author consented (else nothing). */
    async storeCrewReflection(input: StoreReflectionInput): Promise<StoreReflectionResult> {
      if (!input.text.trim()) return { stored: false, reason: 'empty' };
      const challenge = await findChallenge(db, input.challengeId);
      if (!challenge) return { stored: false, reason: 'no_challenge' };
      const crew = await crewMembership(db, challenge.crewId);
      const author = crew.find((m) => m.memberId === input.memberId);
      if (!author?.shareReflections) return { stored: false, reason: 'no_consent' };
      const names = crew.length
        ? (
            await db
              .select({ name: members.name })
              .from(members)
              .where(
                inArray(
                  members.id,
                  crew.map((m) => m.memberId),
                ),
              )
          ).map((m) => m.name)
        : [];
      const redacted = redactReflection(input.text.trim(), { names });
      const verdict = await moderate(redacted);
      const row = await insertReflection(db, {
        challengeId: input.challengeId,
        memberId: input.memberId,
        day: input.day,
        text: redacted,
        status: verdict.clean ? 'shared' : 'pending_review',
        reviewBy: new Date(now().getTime() + REVIEW_HOURS * 3_600_000),
        reason: verdict.reason,
      });
      return { stored: true, reflectionId: row.id, status: row.status };
    },

    /**
     * What the day's crew pulse text carries: the oldest reflection now `shared` (moderated, not hidden, not
     * expired) that no earlier pulse carried, and who may receive it (current members who consented to share
     * reflections). Read-only, so a retry or a replay reads the same kind of answer.
     */
    async reflectionForPulse(input: ReflectionForPulseInput): Promise<ReflectionForPulseResult> {
      const challenge = await findChallenge(db, input.challengeId);
      if (!challenge) return { reflection: null, recipients: [] };
      const carried = new Set(input.carried);
      const next = (await visibleReflections(db, input.challengeId, undefined)).find(
        (r) => !carried.has(r.id),
      );
      const recipients = (await crewMembership(db, challenge.crewId))
        .filter((m) => m.shareReflections)
        .map((m) => m.memberId);
      return {
        // The reflection is its author's personal data: sealed with their key in the challenge's history.
        reflection: next
          ? markedFor('member', next.memberId, {
              id: next.id,
              memberId: next.memberId,
              text: next.text,
            })
          : null,
        recipients,
      };
    },
  };
}
