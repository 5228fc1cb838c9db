/**
 * Signal, query and update definitions. Side-effect free, so the API imports this file too.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export interface InboundReply {
  /** inbound_messages.id: the business key used to deduplicate redeliveries. */
  inboundId: number;
  body: string;
  receivedAtMs: number;
}

export interface MemberPreferences {
  timezone?: string;
  checkInTime?: string;
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
}

export const replySignal = defineSignal<[InboundReply]>('reply');
export const preferencesSignal = defineSignal<[MemberPreferences]>('preferences');
export interface ConsentChange {
  optedOut: boolean;
  inboundId?: number;
}
export const consentSignal = defineSignal<[ConsentChange]>('consent');
export const memberStateQuery = defineQuery<MemberSnapshot>('state');
