import { describe, expect, it } from 'vitest';
import type { RequestedTurn, TurnDriver } from '../../commands/turns.js';
import { createTurnDriveSlots } from './drive-slots.js';
import type { TurnState } from '../../domain/turn/turn-state.js';

/** A driver whose drives end when the test says, so slots can be watched while they are held. */
function heldDriver() {
  const endings: { end: () => void; fail: () => void }[] = [];
  const driver: TurnDriver = {
    drive: () =>
      new Promise<TurnState>((resolve, reject) => {
        endings.push({ end: () => resolve({ status: 'none' }), fail: () => reject(new Error('upstream gone')) });
      }),
  };
  return { driver, endings };
}

const turn = {} as RequestedTurn;

describe('turn drive slots', () => {
  it('admits drives up to the bound, then none until one settles', async () => {
    const { driver, endings } = heldDriver();
    const slots = createTurnDriveSlots(driver, 2);
    const first = slots.admit()!;
    const second = slots.admit()!;
    expect(slots.admit()).toBeUndefined();

    const firstDrive = first.drive(turn);
    const secondDrive = second.drive(turn).catch((error: Error) => error.message);
    expect(slots.inFlight).toBe(2);
    expect(slots.admit()).toBeUndefined();

    endings[0]!.end();
    await firstDrive;
    expect(slots.inFlight).toBe(1);
    endings[1]!.fail();
    expect(await secondDrive).toBe('upstream gone');
    expect(slots.inFlight).toBe(0);
    expect(slots.admit()).toBeDefined();
  });

  it('gives a slot back when its turn never reached the driver, and keeps it while a drive runs', async () => {
    const { driver, endings } = heldDriver();
    const slots = createTurnDriveSlots(driver, 1);
    const unused = slots.admit()!;
    unused.release();
    unused.release();
    expect(slots.inFlight).toBe(0);
    expect(() => unused.drive(turn)).toThrow(/one turn/);
    expect(slots.inFlight).toBe(0);

    const running = slots.admit()!;
    const drive = running.drive(turn);
    running.release();
    expect(slots.inFlight).toBe(1);
    expect(() => running.drive(turn)).toThrow(/one turn/);
    endings[0]!.end();
    await drive;
    expect(slots.inFlight).toBe(0);
  });

  it('tells shutdown when the drives in flight have settled, or how many are left when the wait runs out', async () => {
    const { driver, endings } = heldDriver();
    const slots = createTurnDriveSlots(driver, 4);
    expect(await slots.drained(10)).toBe(0);
    const drives = [slots.admit()!.drive(turn), slots.admit()!.drive(turn)];
    expect(await slots.drained(20)).toBe(2);

    const draining = slots.drained(5_000);
    endings[0]!.end();
    endings[1]!.end();
    await Promise.all(drives);
    const started = Date.now();
    expect(await draining).toBe(0);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
