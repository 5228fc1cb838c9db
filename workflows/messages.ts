/**
 * Signal, query and update definitions. Side-effect free, so the API imports this file too.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export interface InboundReply {
  /** inbound_messages.id: the business key used to deduplicate redeliveries. */
  inboundId: number;
  body: string;
  receivedAtMs: number;
}

export interface MemberPreferences {
  timezone?: string;
  checkInTime?: string;
  /** Rest days / vacation: no prompts through this local date (inclusive), and those days never break a streak. null = resume now. */
  pausedUntil?: string | null;
}

export interface MemberSnapshot {
  memberId: string;
  status: 'active' | 'paused' | 'opted_out' | 'erased';
  timezone: string;
  checkInTime: string;
  currentStreak: number;
  longestStreak: number;
  lastCheckIn: { localDate: string; status: 'done' | 'not_done' | 'missed' } | null;
  openPrompt: { localDate: string } | null;
  nextPromptAt: string | null;
  pausedUntil: string | null;
}

export const replySignal = defineSignal<[InboundReply]>('reply');
export const preferencesSignal = defineSignal<[MemberPreferences]>('preferences');
export interface ConsentChange {
  optedOut: boolean;
  inboundId?: number;
}
export const consentSignal = defineSignal<[ConsentChange]>('consent');
/** Change preferences or pause/resume; returns the new state (the pending timer is re-armed at once). */
export const updatePreferencesUpdate = defineUpdate<MemberSnapshot, [MemberPreferences]>('updatePreferences');
/** The member's personal data was erased: end the workflow. */
export const eraseSignal = defineSignal('erase');
export const memberStateQuery = defineQuery<MemberSnapshot>('state');
