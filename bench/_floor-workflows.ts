/**
 * The least a text that reaches a member's workflow can cost Temporal: a workflow that only waits, and a signal
 * handler that does nothing but report (through a sink, after the workflow task) that it ran. Used by
 * `bench/signal-floor.ts`; not part of the product.
 */
import { condition, defineSignal, proxySinks, setHandler, type Sinks } from '@temporalio/workflow';

export interface FloorSinks extends Sinks {
  floor: { handled(sentAt: number): void };
}
export const textSignal = defineSignal<[number]>('text');
const { floor } = proxySinks<FloorSinks>();

export async function floorMember(): Promise<void> {
  setHandler(textSignal, (sentAt) => floor.handled(sentAt));
  await condition(() => false);
}
