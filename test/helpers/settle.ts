/**
 * Polling for the emulator's status transitions, bounded by attempts rather than by time (the fast
 * timing profile settles in a fraction of a second; a slow machine only makes it take more polls).
 */
/** Polls until `done` holds. */
export async function until<T>(read: () => Promise<T>, done: (t: T) => boolean): Promise<T> {
  let last = await read();
  for (let i = 0; i < 300 && !done(last); i++) {
    await new Promise((r) => setTimeout(r, 50));
    last = await read();
  }
  if (!done(last)) throw new Error(`never settled: ${JSON.stringify(last)}`);
  return last;
}

/** Polls until the call fails, and returns the failure. */
export async function untilGone(read: () => Promise<unknown>): Promise<Error & { $metadata: { httpStatusCode?: number } }> {
  for (let i = 0; i < 300; i++) {
    const failure = await read().then(
      () => undefined,
      (e) => e,
    );
    if (failure) return failure;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('never gone');
}
