import { expect } from '@open-wc/testing';
import { render } from 'lit';
import { en } from '../i18n/en.js';
import { initials, renderAvatar } from './avatar.js';
import { dayLabel, localDay, renderDay, renderTime } from './timeline.js';

describe('timeline and avatars', () => {
  it('labels days in the visitor’s time zone: Today, Yesterday, else the date; nothing within a day', () => {
    const now = new Date(2026, 11, 2, 0, 30).getTime(); // local 00:30
    const late = new Date(2026, 11, 1, 23, 50).getTime(); // 40 minutes earlier, yesterday locally
    expect(dayLabel(now, undefined, now, en, 'en')).to.equal('Today');
    expect(dayLabel(late, undefined, now, en, 'en')).to.equal('Yesterday');
    expect(dayLabel(now, late, now, en, 'en')).to.equal('Today', 'a new day after the previous message');
    expect(dayLabel(now + 60_000, now, now, en, 'en')).to.equal('');
    const old = new Date(2026, 10, 20, 9).getTime();
    expect(dayLabel(old, undefined, now, en, 'de')).to.equal('20. November 2026');
    expect(localDay(now) - localDay(late)).to.equal(1);
  });

  it('gives a day separator the local date it names as datetime, also near midnight (any time zone)', () => {
    const box = document.createElement('div');
    for (const [at, want] of [
      [new Date(2026, 11, 2, 0, 10).getTime(), '2026-12-02'], // local 00:10: the day before in UTC east of Greenwich
      [new Date(2026, 11, 1, 23, 50).getTime(), '2026-12-01'], // local 23:50: the day after in UTC west of it
      [new Date(2026, 0, 1, 0, 0).getTime(), '2026-01-01'],
    ] as const) {
      render(renderDay('Today', at), box);
      expect(box.querySelector('time')!.getAttribute('datetime')).to.equal(want);
    }
  });

  it('renders a <time> with a machine datetime, the short time and the full date as title', () => {
    const at = Date.UTC(2026, 11, 2, 9, 5);
    const box = document.createElement('div');
    render(renderTime(at, 'fr'), box);
    const time = box.querySelector('time')!;
    expect(time.getAttribute('datetime')).to.equal('2026-12-02T09:05:00.000Z');
    expect(time.textContent!.trim()).to.equal(new Intl.DateTimeFormat('fr', { timeStyle: 'short' }).format(at));
    expect(time.title).to.contain('2026');
  });

  it('shows initials (text only, even for HTML in names) when there is no image', () => {
    expect(initials('Ada Lovelace')).to.equal('AL');
    expect(initials('  grace  ')).to.equal('G');
    expect(initials('Émile van der Berg')).to.equal('ÉB');
    expect(initials('')).to.equal('?');
    const box = document.createElement('div');
    render(renderAvatar('<img src=x onerror=alert(1)> Z', undefined), box);
    expect(box.querySelector('img')).to.equal(null);
    expect(box.textContent!.trim()).to.equal('<Z');
    render(renderAvatar('Ada', 'blob:https://x/1'), box);
    expect(box.querySelector('img')!.getAttribute('alt')).to.equal('');
  });
});
