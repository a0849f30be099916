import type { PortholeEventDetail, PortholeEventName } from './porthole-events.js';

/**
 * The one way Porthole dispatches its public events: prefixed, bubbling, composed.
 * @returns false when a listener called `preventDefault()` on a cancelable event.
 */
export function emit<K extends PortholeEventName>(
  target: EventTarget,
  name: K,
  ...[detail]: PortholeEventDetail<K> extends undefined ? [] : [PortholeEventDetail<K>]
): boolean {
  return target.dispatchEvent(new CustomEvent(name, { bubbles: true, composed: true, detail }));
}
