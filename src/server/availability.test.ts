import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from './config.js';
import { AvailabilityService, loadAvailabilitySettings, stateOf, type AgentStatus, type AvailabilitySettings } from './availability.js';

const settings = (over: Partial<AvailabilitySettings> = {}): AvailabilitySettings => ({
  agents: undefined,
  officeHours: undefined,
  expectedReply: undefined,
  fields: [],
  emailReplies: false,
  ...over,
});

describe('availability settings', () => {
  it('reads every variable, with defaults', () => {
    assert.deepEqual(loadAvailabilitySettings({}), settings());
    const s = loadAvailabilitySettings({
      PORTHOLE_AGENTS: ' ada, @Grace ,',
      PORTHOLE_OFFICE_HOURS: 'Mon-Fri 09:00-17:00',
      PORTHOLE_TIMEZONE: 'Europe/Berlin',
      PORTHOLE_EXPECTED_REPLY: 'We usually answer within an hour',
      PORTHOLE_CONTACT_FIELDS: 'email,name,email',
      PORTHOLE_EMAIL_REPLIES: 'TRUE',
    });
    assert.deepEqual(s.agents, ['ada', 'grace']);
    assert.equal(s.officeHours?.timeZone, 'Europe/Berlin');
    assert.equal(s.expectedReply, 'We usually answer within an hour');
    assert.deepEqual(s.fields, ['email', 'name']);
    assert.equal(s.emailReplies, true);
  });

  it('says every problem at once, with what it received', () => {
    try {
      loadAvailabilitySettings({
        PORTHOLE_AGENTS: 'ada,not a name',
        PORTHOLE_TIMEZONE: 'Paris',
        PORTHOLE_OFFICE_HOURS: 'weekdays',
        PORTHOLE_EXPECTED_REPLY: 'x'.repeat(201),
        PORTHOLE_CONTACT_FIELDS: 'name,phone',
        PORTHOLE_EMAIL_REPLIES: 'sometimes',
      });
      assert.fail('expected a ConfigError');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(
        e.problems.map((p) => p.split(':')[0]),
        ['PORTHOLE_AGENTS', 'PORTHOLE_TIMEZONE', 'PORTHOLE_EXPECTED_REPLY', 'PORTHOLE_CONTACT_FIELDS', 'PORTHOLE_EMAIL_REPLIES'],
      );
      assert.match(e.problems[0]!, /received "not a name"/);
      assert.match(e.problems[1]!, /IANA time zone.*received "Paris"/);
      assert.match(e.problems[2]!, /at most 200 characters \(received 201\)/);
      assert.match(e.problems[3]!, /received "phone"/);
      assert.match(e.problems[4]!, /true or false \(received "sometimes"\)/);
    }
    assert.throws(() => loadAvailabilitySettings({ PORTHOLE_OFFICE_HOURS: 'weekdays' }), /PORTHOLE_OFFICE_HOURS: expected spans/);
  });
});

describe('AvailabilityService', () => {
  it('orders the states: online > away (away or dnd) > offline', () => {
    assert.equal(stateOf(['offline', 'away', 'online']), 'online');
    assert.equal(stateOf(['offline', 'dnd']), 'away');
    assert.equal(stateOf(['away', 'offline']), 'away');
    assert.equal(stateOf(['offline']), 'offline');
    assert.equal(stateOf([]), 'offline');
  });

  const make = (over: Partial<AvailabilitySettings> = {}) => {
    let now = Date.UTC(2026, 11, 2, 10, 0); // a Wednesday, 10:00 UTC
    const statuses: AgentStatus[] = ['away'];
    let calls = 0;
    let down = false;
    const service = new AvailabilityService({
      settings: settings(over),
      agentIds: async () => ['a'],
      statuses: async () => {
        calls++;
        if (down) throw new Error('connect ECONNREFUSED');
        return [...statuses];
      },
      now: () => now,
    });
    return {
      service,
      statuses,
      calls: () => calls,
      advance: (ms: number) => (now += ms),
      setDown: (v: boolean) => (down = v),
    };
  };

  it('asks Mattermost at most every 30 s, and shares a call between concurrent requests', async () => {
    const t = make({ expectedReply: 'Within the hour', fields: ['email'], emailReplies: true });
    const [a, b] = await Promise.all([t.service.get(), t.service.get()]);
    assert.deepEqual(a, { state: 'away', expectedReply: 'Within the hour', fields: ['email'], emailReplies: true });
    assert.deepEqual(b, a);
    assert.equal(t.calls(), 1);
    t.statuses[0] = 'online';
    t.advance(29_000);
    assert.equal((await t.service.get()).state, 'away', 'still cached');
    t.advance(1_000);
    assert.equal((await t.service.get()).state, 'online');
    assert.equal(t.calls(), 2);
  });

  it('answers unreachable when Mattermost cannot be asked, and asks again 5 s later', async () => {
    const t = make();
    t.setDown(true);
    assert.equal((await t.service.get()).state, 'unreachable');
    assert.equal((await t.service.get()).state, 'unreachable');
    assert.equal(t.calls(), 1);
    t.setDown(false);
    t.advance(5_000);
    assert.equal((await t.service.get()).state, 'away');
  });

  it('is closed outside office hours whatever the statuses, without asking Mattermost', async () => {
    const { parseOfficeHours } = await import('./office-hours.js');
    const t = make({ officeHours: parseOfficeHours('Mon-Fri 11:00-17:00', 'UTC') });
    t.statuses[0] = 'online';
    assert.equal((await t.service.get()).state, 'closed');
    assert.equal(t.calls(), 0);
    t.advance(3600_000);
    assert.equal((await t.service.get()).state, 'online');
  });
});
