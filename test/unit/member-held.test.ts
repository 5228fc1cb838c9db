import { describe, expect, it } from 'vitest';
import type { SendSmsInput } from '../../activities/messaging.js';
import { holdText, nextHeldAt, takeDueHeld } from '../../workflows/member/held.js';
import type { MemberState } from '../../workflows/member/state.js';

const text = (key: string): SendSmsInput => ({
  idempotencyKey: key,
  to: { memberId: 'm' },
  kind: 'nudge',
  purpose: 'transactional',
  body: key,
});
const fresh = () => ({ status: 'active' }) as MemberState;

describe('texts held by the gate (member)', () => {
  it('holds a key once (a new hold replaces it), wakes at the earliest, takes the due ones first held first', () => {
    const s = fresh();
    expect(nextHeldAt(s)).toBeNull();
    holdText(s, text('a'), 300);
    holdText(s, text('b'), 100);
    holdText(s, text('c'), 200);
    holdText(s, text('a'), 250, 2); // held again: replaced, not doubled
    expect(s.held).toHaveLength(3);
    expect(nextHeldAt(s)).toBe(100);
    expect(takeDueHeld(s, 250).map((h) => [h.input.idempotencyKey, h.deferrals])).toEqual([
      ['b', 1],
      ['c', 1],
      ['a', 2],
    ]);
    expect(s.held).toEqual([]);
    expect(nextHeldAt(s)).toBeNull();
  });

  it('leaves texts not yet due; an erased member has nothing to wake for', () => {
    const s = fresh();
    holdText(s, text('a'), 500);
    expect(takeDueHeld(s, 499)).toEqual([]);
    expect(nextHeldAt(s)).toBe(500);
    s.status = 'erased';
    expect(nextHeldAt(s)).toBeNull();
  });
});
