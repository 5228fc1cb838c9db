import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_MEMBER_SETTINGS, loadConfig } from '../../worker/config.js';

describe('member settings in the configuration', () => {
  it('defaults to 3 active goals and a nudge after 120 minutes', () => {
    expect(loadConfig({}).members).toEqual({ maxActiveGoals: 3, nudgeAfterMinutes: 120 });
    expect(loadConfig({}).members).toEqual(DEFAULT_MEMBER_SETTINGS);
  });

  it('reads MAX_ACTIVE_GOALS and NUDGE_AFTER_MINUTES (0 = no nudges)', () => {
    expect(loadConfig({ MAX_ACTIVE_GOALS: '5', NUDGE_AFTER_MINUTES: '0' }).members).toEqual({
      maxActiveGoals: 5,
      nudgeAfterMinutes: 0,
    });
  });

  it.each([
    ['MAX_ACTIVE_GOALS', '0'],
    ['MAX_ACTIVE_GOALS', 'three'],
    ['NUDGE_AFTER_MINUTES', '-5'],
    ['NUDGE_AFTER_MINUTES', '1.5'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});
