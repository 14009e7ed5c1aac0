/**
 * Long loops over an upload give the event loop back every few milliseconds, so
 * serving traffic in the same process is never held up for long (issue 12: no
 * blocking over 200 ms). Cheap to call often: it only yields when the slice is used up.
 */
const SLICE_MS = 10;
let sliceStart = performance.now();

export async function yieldIfBusy(): Promise<void> {
  const now = performance.now();
  if (now - sliceStart < SLICE_MS) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  sliceStart = performance.now();
}
