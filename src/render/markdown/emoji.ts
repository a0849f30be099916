import { EMOJI_TABLE } from './emoji-table.js';

/**
 * The emoji sub-chunk: Mattermost shortcodes (without colons) → Unicode, built from the
 * generated table on first use. Which shortcodes it holds: scripts/emoji-table.mjs.
 */
export function emojiMap(): Map<string, string> {
  const map = new Map<string, string>();
  let last = '';
  for (const entry of EMOJI_TABLE.split(',')) {
    if (entry[0] === '=') map.set(entry.slice(1), last);
    else {
      const [name, hex] = entry.split(' ');
      map.set(name, (last = String.fromCodePoint(...hex.split('-').map((h) => parseInt(h, 16)))));
    }
  }
  return map;
}
