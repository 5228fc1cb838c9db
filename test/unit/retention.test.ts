import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../worker/config.js';
import { cutoff, nextPurgeAt } from '../../workflows/retention/schedule.js';
import {
  DEFAULT_RETENTION,
  maxNamespaceRetentionDays,
  RETENTION_CLASSES,
} from '../../workflows/retention/values.js';

describe('retention schedule', () => {
  it('the next purge is the next 03:00 UTC strictly after now', () => {
    expect(nextPurgeAt(new Date('2026-03-08T02:59:59Z'), 3).toISOString()).toBe('2026-03-08T03:00:00.000Z');
    expect(nextPurgeAt(new Date('2026-03-08T03:00:00Z'), 3).toISOString()).toBe('2026-03-09T03:00:00.000Z');
    expect(nextPurgeAt(new Date('2026-12-31T23:00:00Z'), 3).toISOString()).toBe('2027-01-01T03:00:00.000Z');
  });

  it('property: within 24 h after now, at the hour, whatever the hour', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 23 }),
        (now, hour) => {
          const next = nextPurgeAt(now, hour);
          expect(next.getTime()).toBeGreaterThan(now.getTime());
          expect(next.getTime() - now.getTime()).toBeLessThanOrEqual(86_400_000);
          expect(next.getUTCHours()).toBe(hour);
          expect(next.getUTCMinutes() + next.getUTCSeconds() + next.getUTCMilliseconds()).toBe(0);
        },
      ),
    );
  });

  it('a class kept N days is purged before asOf − N × 24 h', () => {
    expect(cutoff(new Date('2026-06-30T03:00:00Z'), 90).toISOString()).toBe('2026-04-01T03:00:00.000Z');
  });
});

describe('retention policy', () => {
  it('the namespace may keep closed histories at most as long as the shortest class that lives in them', () => {
    expect(maxNamespaceRetentionDays(DEFAULT_RETENTION)).toBe(90);
    expect(maxNamespaceRetentionDays({ ...DEFAULT_RETENTION, inbound_texts: 7 })).toBe(7);
    // Sign-in codes and AI usage are not in histories (or dead within minutes): they do not bound it.
    expect(maxNamespaceRetentionDays({ ...DEFAULT_RETENTION, sign_in_codes: 1, ai_usage: 2 })).toBe(90);
  });

  it('is configured per class by RETENTION_*_DAYS, with the defaults; 0 or a fraction is refused naming it', () => {
    expect(loadConfig({}).retention).toEqual({ policy: DEFAULT_RETENTION, purgeHourUtc: 3 });
    const env = Object.fromEntries(Object.values(RETENTION_CLASSES).map((c, i) => [c.env, String(10 + i)]));
    const policy = loadConfig({ ...env, RETENTION_PURGE_HOUR_UTC: '4' }).retention;
    expect(policy.purgeHourUtc).toBe(4);
    expect(Object.values(policy.policy)).toEqual([10, 11, 12, 13, 14, 15]);
    expect(() => loadConfig({ RETENTION_INBOUND_TEXT_DAYS: '0' })).toThrow(/RETENTION_INBOUND_TEXT_DAYS/);
    expect(() => loadConfig({ RETENTION_REFLECTION_DAYS: '1.5' })).toThrow(/RETENTION_REFLECTION_DAYS/);
    expect(() => loadConfig({ RETENTION_PURGE_HOUR_UTC: '24' })).toThrow(/RETENTION_PURGE_HOUR_UTC/);
  });
});
