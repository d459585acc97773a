import { describe, expect, it } from 'vitest';
import { SlotScheduler } from '../emulator/training/slots.js';

/** The order in which waiting acquirers got their slots, after the queue has settled. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

describe('training slot scheduler', () => {
  it('never hands out more slots than it has, and serves waiters first come, first served', async () => {
    const slots = new SlotScheduler(2);
    const granted: string[] = [];
    const take = (name: string, n: number) => slots.acquire(n).then((release) => (granted.push(name), release));
    const a = take('a', 1);
    const b = take('b', 1);
    const c = take('c', 2); // waits for both
    const d = take('d', 1); // behind c, though one slot would do: no overtaking
    await settle();
    expect(granted).toEqual(['a', 'b']);
    expect(slots.waiting).toBe(2);
    (await a)();
    await settle();
    expect(granted).toEqual(['a', 'b']);
    (await b)();
    await settle();
    expect(granted).toEqual(['a', 'b', 'c']);
    const releaseC = await c;
    releaseC();
    releaseC(); // a second release is ignored
    await settle();
    expect(granted).toEqual(['a', 'b', 'c', 'd']);
    (await d)();
    // All four slots' worth came back: two single acquirers get in at once.
    const e = take('e', 1);
    const f = take('f', 1);
    await settle();
    expect(granted.slice(-2)).toEqual(['e', 'f']);
    (await e)();
    (await f)();
  });

  it('a job wider than the machine gets every slot rather than waiting forever', async () => {
    const slots = new SlotScheduler(2);
    const release = await slots.acquire(8);
    let other = false;
    void slots.acquire(1).then(() => (other = true));
    await settle();
    expect(other).toBe(false);
    release();
    await settle();
    expect(other).toBe(true);
  });
});
