/**
 * Erasure activities (workflows/erasure): the database part of an erasure and the final shred. Each takes
 * business ids only and is idempotent, so a retried or replayed step changes nothing twice.
 */
import type { Db } from '../db/client.js';
import { setErasureStep } from '../db/erasure.js';
import type { ErasureStep } from '../db/erasure-schema.js';
import { eraseMember } from '../db/members.js';

export interface ErasureDeps {
  db: Db;
  /**
   * Destroys the subject's payload data key (crypto-shredding, issue 12 §2). Injected: the codec's
   * `shredSubject` (activities/index.ts passes db/subject-keys.ts by default). Must be idempotent.
   */
  shredSubject?: (subject: string) => Promise<void>;
}

/** The codec subject of a member's payloads. */
export const memberSubject = (memberId: string): string => `member:${memberId}`;

export function createErasureActivities(deps: ErasureDeps) {
  const shred = deps.shredSubject ?? (async () => {});
  return {
    async eraseMemberRows(r: { erasureId: string; memberId: string; requestedBy: string }): Promise<boolean> {
      return eraseMember(deps.db, r);
    },
    async shredErasedSubject(r: { memberId: string; subjects?: string[] }): Promise<void> {
      for (const subject of r.subjects ?? []) await shred(subject);
      await shred(memberSubject(r.memberId));
    },
    async recordErasureStep(r: { erasureId: string; step: ErasureStep }): Promise<void> {
      await setErasureStep(deps.db, r.erasureId, r.step);
    },
  };
}
