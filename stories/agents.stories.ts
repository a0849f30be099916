import type { Meta } from '@storybook/web-components-vite';
import type { Availability } from '../src/transport/transport.js';
import { names, shortHistory, type ChatArgs, type ChatContext } from './support/fixture.js';
import { chatMeta, chatStory } from './support/meta.js';

// Agents and availability: faces, times and day separators, "Ada is typing…", and the header's
// availability line in each state (docs/api.md, "Agents and availability"). No "Seen" story:
// Mattermost gives the widget no proof of reading, so the widget never shows it.
export default {
  title: 'Agents and availability',
  ...chatMeta,
} satisfies Meta<ChatArgs>;

/** A round face in one colour with a letter, as a PNG blob (what Mattermost's profile image would be). */
async function face(letter: string, colour: string): Promise<Blob> {
  const canvas = new OffscreenCanvas(64, 64);
  const g = canvas.getContext('2d')!;
  g.fillStyle = colour;
  g.fillRect(0, 0, 64, 64);
  g.fillStyle = '#fff';
  g.font = 'bold 36px sans-serif';
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  g.fillText(letter, 32, 34);
  return canvas.convertToBlob({ type: 'image/png' });
}

const team = (state: Availability['state'], expectedReply?: string): Availability => ({
  state,
  expectedReply,
  fields: [],
  emailReplies: false,
});

/** Local noon `days` days ago. */
const noon = (days: number) => {
  const d = new Date();
  d.setHours(12, 0, 0, 0);
  d.setDate(d.getDate() - days);
  return d.getTime();
};

/** Spreads the history over a week ago, yesterday and today, for the day separators. */
const spread = (c: ChatContext) =>
  [noon(7), noon(7) + 120_000, noon(1), noon(0)].forEach(
    (at, i) => c.server.posts[i] && Object.assign(c.server.posts[i]!, { createAt: at, updateAt: at }),
  );

const availability = (state: Availability['state'], expectedReply?: string) =>
  chatStory({
    transport: { history: shortHistory, names },
    run: async (c) => {
      c.server.team = team(state, expectedReply);
      await c.openAndLoad();
    },
  });

/** An agent is online: a green dot and the expected-reply text under the header. */
export const Online = availability('online', 'We usually answer within a few minutes');
/** Agents are away or do not disturb. */
export const Away = availability('away', 'We usually answer within an hour');
/** Nobody is online. */
export const Offline = availability('offline', 'We answer within a day');
/** Outside the office hours (`PORTHOLE_OFFICE_HOURS`). */
export const Closed = availability('closed', 'Open Mon–Fri 09:00–17:00');
/** Mattermost cannot be reached (the companion still answers 200 `unreachable`). */
export const Unreachable = availability('unreachable');

/** Agents' faces: Alex has a profile image, Sam has none (initials); the box is the same size either way. */
export const Avatars = chatStory({
  transport: {
    names: { ...names, agent2: 'Sam Rivera' },
    history: [
      { text: 'Hi there 👋 How can we help?', userId: 'agent' },
      { text: 'Hello! My parcel has not arrived.', userId: 'visitor' },
      { text: 'Sam from shipping here, let me look.', userId: 'agent2' },
    ],
  },
  run: async (c) => {
    c.server.avatars.set('agent', await face('A', '#8250df'));
    await c.openAndLoad();
  },
});

/** Messages from a week ago, yesterday and today: a separator above each day, a time on each message. */
export const DaySeparators = chatStory({
  transport: { history: [...shortHistory, { text: 'Any news today?', userId: 'visitor' }], names },
  run: async (c) => {
    spread(c);
    await c.openAndLoad();
  },
});

/** An agent whose name is known types: "Alex is typing…" (every 4 s). */
export const TypingName = chatStory({
  transport: { history: shortHistory, names },
  run: async (c) => {
    await c.openAndLoad();
    c.server.agentTyping('agent');
    c.every(4000, () => c.server.agentTyping('agent'));
  },
});
