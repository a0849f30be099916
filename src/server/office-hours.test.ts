import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTimeZone, isOpen, parseOfficeHours, wallClock } from './office-hours.js';

describe('office hours', () => {
  it('parses day ranges, single days, wrapping ranges and 24:00', () => {
    const h = parseOfficeHours('Mon-Fri 09:00-17:00, sat 10:00-14:00, Fri-Mon 22:00-24:00', 'UTC');
    assert.deepEqual(h.spans, [
      { days: [0, 1, 2, 3, 4], from: 540, to: 1020 },
      { days: [5], from: 600, to: 840 },
      { days: [4, 5, 6, 0], from: 1320, to: 1440 },
    ]);
  });

  it('answers open or closed on the wall clock of the time zone', () => {
    const h = parseOfficeHours('Mon-Fri 09:00-17:00', 'Europe/Paris');
    // Wednesday 2026-12-02 08:30 UTC = 09:30 in Paris (UTC+1): open; 16:30 UTC = 17:30: closed.
    assert.equal(isOpen(h, Date.UTC(2026, 11, 2, 8, 30)), true);
    assert.equal(isOpen(h, Date.UTC(2026, 11, 2, 7, 59)), false);
    assert.equal(isOpen(h, Date.UTC(2026, 11, 2, 16, 0)), false, '17:00 is the closing minute');
    assert.equal(isOpen(h, Date.UTC(2026, 11, 5, 10, 0)), false, 'Saturday');
    const ny = parseOfficeHours('Mon-Fri 09:00-17:00', 'America/New_York');
    assert.equal(isOpen(ny, Date.UTC(2026, 11, 2, 14, 30)), true, '09:30 in New York');
    assert.equal(isOpen(ny, Date.UTC(2026, 11, 2, 13, 30)), false, '08:30 in New York');
  });

  it('follows the clock change on a DST day (Paris, 2026-03-29 and 2026-10-25, both Sundays)', () => {
    const h = parseOfficeHours('Sun 09:00-10:00', 'Europe/Paris');
    // After the spring change Paris is UTC+2: 09:30 local = 07:30 UTC.
    assert.equal(isOpen(h, Date.UTC(2026, 2, 29, 7, 30)), true);
    assert.equal(isOpen(h, Date.UTC(2026, 2, 29, 8, 30)), false);
    // After the autumn change Paris is UTC+1 again: 09:30 local = 08:30 UTC.
    assert.equal(isOpen(h, Date.UTC(2026, 9, 25, 8, 30)), true);
    assert.equal(isOpen(h, Date.UTC(2026, 9, 25, 7, 30)), false);
    assert.deepEqual(wallClock(Date.UTC(2026, 2, 29, 1, 0), 'Europe/Paris'), { day: 6, minute: 3 * 60 }, '02:00 jumps to 03:00');
  });

  it('refuses bad input with what it expected and what it received', () => {
    assert.throws(
      () => parseOfficeHours('Mon-Fri 9-17'),
      /expected spans like "Mon-Fri 09:00-17:00, Sat 10:00-14:00" \(received "Mon-Fri 9-17"\)/,
    );
    assert.throws(() => parseOfficeHours('Mon-Fry 09:00-17:00'), /days must be Mon, Tue/);
    assert.throws(() => parseOfficeHours('Mon 17:00-09:00'), /closing time must be after the opening time/);
    assert.throws(() => parseOfficeHours('Mon 09:00-24:30'), /times must be 00:00 to 24:00/);
    assert.throws(() => parseOfficeHours('Mon 09:60-10:00'), /times must be 00:00 to 24:00/);
    assert.throws(() => parseOfficeHours(' , '), /at least one span/);
    assert.throws(() => parseOfficeHours('Mon 09:00-10:00', 'Mars/Olympus'), /IANA time zone.*received "Mars\/Olympus"/);
    assert.equal(checkTimeZone('Asia/Kolkata'), undefined);
  });
});
