// Time-left estimates of the microscope's progress bar: rates worked out by hand from the
// reports' times, a phase change restarting the clock, and the short wording.
import { describe, expect, it } from 'vitest';
import { EtaClock, formatTimeLeft } from '../../src/lib/ui/view/eta';

describe('time left of a job', () => {
  it('extrapolates the rate of the current phase', () => {
    let t = 0;
    const clock = new EtaClock(() => t);
    expect(clock.update({ phase: 'Scoring', done: 0, total: 100 })).toBeNull();
    t = 2000;
    // 20 items in 2 s: 80 left take 8 s
    expect(clock.update({ phase: 'Scoring', done: 20, total: 100 })).toBeCloseTo(8000, 9);
    t = 3000;
    // 50 in 3 s: 50 left take 3 s
    expect(clock.update({ phase: 'Scoring', done: 50, total: 100 })).toBeCloseTo(3000, 9);
  });

  it('a new phase restarts the clock; unknown totals give no estimate', () => {
    let t = 0;
    const clock = new EtaClock(() => t);
    clock.update({ phase: 'Scoring', done: 0, total: 10 });
    t = 1000;
    expect(clock.update({ phase: 'Scoring', done: 5, total: 10 })).toBeCloseTo(1000, 9);
    t = 5000;
    expect(clock.update({ phase: 'Cutting', done: 1, total: 4 })).toBeNull();
    t = 6000;
    // 1 item in 1 s since the phase began with 1 done: 2 left take 2 s
    expect(clock.update({ phase: 'Cutting', done: 2, total: 4 })).toBeCloseTo(2000, 9);
    expect(clock.update({ phase: 'Cutting', done: 3, total: 0 })).toBeNull();
  });

  it('says it briefly', () => {
    expect(formatTimeLeft(null)).toBe('');
    expect(formatTimeLeft(Number.NaN)).toBe('');
    expect(formatTimeLeft(400)).toBe('less than a second left');
    expect(formatTimeLeft(12_400)).toBe('about 12 s left');
    expect(formatTimeLeft(180_000)).toBe('about 3 min left');
  });
});
