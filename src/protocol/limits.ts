// Limits the widget checks before it sends, shared with the companion. A module of constants only,
// so the panel can import them without the wire schemas (src/protocol/gateway.ts).

/** Longest message text Mattermost stores, in Unicode code points (`model.PostMessageMaxRunesV2`). */
export const MAX_MESSAGE_RUNES = 16_383;
