/**
 * Starting the mentorship workflows in the time-skipping tests, and a ranked candidate as the ranking activity
 * answers it. `t.env` is read when a function is called (it is set in the test file's `beforeAll`).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { mentorshipMatchWorkflowId, mentorWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { mentorWorkflow } from '../../workflows/mentor/workflow.js';
import type { Candidate, MatchWorkflowInput } from '../../workflows/mentorship-match/definitions.js';
import { mentorshipMatchWorkflow } from '../../workflows/mentorship-match/workflow.js';

export function mentorshipStarters(t: { env: TestWorkflowEnvironment }) {
  return {
    /** The mentor's own workflow (`mentor-<id>`), holding `capacity` slots. */
    startMentor: (mentorId: string, capacity = 1) =>
      t.env.client.workflow.start(mentorWorkflow, {
        taskQueue: TASK_QUEUE,
        workflowId: mentorWorkflowId(mentorId),
        args: [{ mentorId, capacity }],
      }),
    /** A match request's workflow (`mentorship-match-<id>`). */
    startMatch: (input: MatchWorkflowInput) =>
      t.env.client.workflow.start(mentorshipMatchWorkflow, {
        taskQueue: TASK_QUEUE,
        workflowId: mentorshipMatchWorkflowId(input.matchId),
        args: [input],
      }),
  };
}

/** A ranked mentor (their member is `member-of-<id>`), free on Tuesday evenings in `mentorTimezone`. */
export const testCandidate = (mentorId: string, score: number, mentorTimezone = 'UTC'): Candidate => ({
  mentorId,
  mentorMemberId: `member-of-${mentorId}`,
  mentorTimezone,
  mentorAvailability: [{ weekday: 2, from: '18:00', to: '20:00' }],
  score,
  breakdown: { focus: score, language: 1, schedule: 1, timezone: 1, load: 1 },
  weightsVersion: 'default@1',
});
