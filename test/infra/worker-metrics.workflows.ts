/** A workflow that only completes: enough for the SDK to record workflow and task metrics. */
export async function probe(): Promise<string> {
  return 'done';
}
