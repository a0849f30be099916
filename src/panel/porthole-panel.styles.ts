import { css } from 'lit';

export const styles = css`
  :host {
    --a: var(--porthole-accent, #1a56db);
    --on: var(--porthole-on-accent, #fff);
    --r: var(--porthole-radius, 12px);
    /* dark mode: the palette follows prefers-color-scheme (light-dark()); the site forces one with
       --porthole-color-scheme: light (or dark), or sets any colour. */
    color-scheme: var(--porthole-color-scheme, light dark);
    --bg: var(--porthole-surface, light-dark(#fff, #161b22));
    --fg: var(--porthole-text, light-dark(#1f2328, #f0f6fc));
    --mu: var(--porthole-muted, light-dark(#57606a, #9198a1));
    --bu: var(--porthole-bubble, light-dark(#eef0f3, #262c36));
    --bo: var(--porthole-border, light-dark(#d0d7de, #30363d));
    display: block;
    width: min(380px, calc(100vw - 40px));
    height: min(560px, calc(100vh - 120px));
    font: var(--porthole-font, 15px/1.4 system-ui, sans-serif);
    color: var(--fg);
  }
  :host(:not([open])) {
    display: none;
  }
  section {
    display: flex;
    flex-direction: column;
    height: 100%;
    background: var(--bg);
    border-radius: var(--r);
    box-shadow: 0 8px 30px #0003;
    overflow: hidden;
  }
  header {
    display: flex;
    align-items: center;
    gap: 8px;
    padding: 12px 16px;
    background: var(--a);
    color: var(--on);
  }
  h2 {
    flex: 1;
    margin: 0;
    font-size: 1.05em;
  }
  button,
  textarea {
    font: inherit;
  }
  button {
    cursor: pointer;
  }
  :focus-visible {
    /* dark mode: the text colour (the default accent is 2.8:1 on the dark surface, below 3:1) */
    outline: 2px solid light-dark(var(--a), var(--fg));
    outline-offset: 2px;
  }
  header :focus-visible {
    outline-color: var(--on);
  }
  .x {
    background: none;
    border: 0;
    color: inherit;
    font-size: 1.5em;
    line-height: 1;
    padding: 0 4px;
  }
  .log {
    flex: 1;
    overflow-y: auto;
    padding: 12px;
    display: flex;
    flex-direction: column;
    gap: 8px;
  }
  .older {
    align-self: center;
  }
  /* "New messages ↓": over the bottom of the log, taking no room (28 - 36 + 8 = 0). */
  .nm {
    position: relative;
    align-self: center;
    height: 28px;
    margin: -36px 0 8px;
    padding: 0 12px;
    border: 0;
    border-radius: 14px;
    background: var(--a);
    color: var(--on);
    font-size: 0.85em;
    box-shadow: 0 2px 8px #0003;
  }
  .empty {
    margin: auto;
    text-align: center;
    color: var(--mu);
  }
  .m {
    max-width: 85%;
    padding: 8px 12px;
    border-radius: var(--r);
    background: var(--bu);
    align-self: flex-start;
  }
  .m.visitor {
    align-self: flex-end;
    background: var(--a);
    color: var(--on);
  }
  .m.visitor a {
    color: inherit;
  }
  .who {
    display: block;
    font-size: 0.75em;
    font-weight: 600;
  }
  .text {
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  .meta {
    display: block;
    font-size: 0.8em;
    font-style: italic;
  }
  .status,
  .typing {
    margin: 0;
    padding: 4px 16px;
    font-size: 0.85em;
    color: var(--mu);
  }
  .fallback {
    padding: 12px 16px;
    /* A warning keeps its own colours, whatever the palette (dark mode: dark ones). */
    background: light-dark(#fff4e5, #3d2e00);
    color: light-dark(#1f2328, #f0f6fc);
    border-bottom: 1px solid light-dark(#f0c36d, #9e6a03);
  }
  .fallback p {
    margin: 0 0 8px;
  }
  .fallback a {
    margin-inline-start: 12px;
    color: light-dark(#0b4bc4, #79c0ff);
  }
  form {
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
    padding: 10px;
    border-top: 1px solid var(--bo);
  }
  form .meta {
    flex-basis: 100%;
    margin: 0;
  }
  .err {
    font-weight: 600;
  }
  textarea {
    flex: 1;
    resize: none;
    padding: 8px;
    border: 1px solid var(--mu);
    border-radius: 8px;
    background: var(--bg);
    color: inherit;
    font: inherit;
    max-height: 8em;
  }
  .send {
    border: 0;
    border-radius: 8px;
    padding: 0 14px;
    background: var(--a);
    color: var(--on);
  }
  /* Agents and availability */
  .avl {
    margin: 0;
    padding: 0 16px 8px;
    background: var(--a);
    color: var(--on);
    font-size: 0.8em;
  }
  .dot {
    display: inline-block;
    width: 8px;
    height: 8px;
    margin-inline-end: 6px;
    border-radius: 50%;
    background: var(--porthole-offline, #8c959f);
  }
  [data-state='online'] .dot {
    background: var(--porthole-online, #2da44e);
  }
  [data-state='away'] .dot {
    background: var(--porthole-away, #d4a72c);
  }
  .av {
    display: inline-grid;
    place-items: center;
    width: var(--porthole-avatar-size, 20px);
    height: var(--porthole-avatar-size, 20px);
    margin-inline-end: 6px;
    vertical-align: middle;
    border-radius: 50%;
    overflow: hidden;
    background: var(--bo);
    font-size: 0.7em;
  }
  .av img {
    width: 100%;
    height: 100%;
    object-fit: cover;
  }
  .who time {
    font-weight: 400;
  }
  .day {
    align-self: center;
    margin: 4px 0;
    font-size: 0.75em;
    color: var(--mu);
  }
  /* buttons (connection helper): the fallback's retry and contact link, a failed message's retry,
     edit and remove, and load-older share one look, themed by --porthole-button-* (docs/theming.md). */
  [part~='retry'],
  .fallback [part~='fallback-link'],
  [part~='retry-message'],
  [part~='edit-message'],
  [part~='remove-message'],
  [part~='load-older'] {
    display: inline-block;
    padding: var(--porthole-button-padding, 4px 12px);
    border: 1px solid var(--porthole-button-border, var(--bo));
    border-radius: var(--porthole-button-radius, 8px);
    background: var(--porthole-button-bg, var(--bg));
    color: var(--porthole-button-text, var(--fg));
    font: inherit;
    line-height: 1.4;
    text-decoration: none;
  }
  [part~='retry-message'],
  [part~='edit-message'],
  [part~='remove-message'] {
    /* logical sides: mirrored in right-to-left locales (ar, he) */
    margin: 4px 0 0;
    margin-inline-end: 4px;
    padding: 0 8px;
    font-size: 0.85em;
  }
  [part~='retry']:hover,
  .fallback [part~='fallback-link']:hover,
  [part~='retry-message']:hover,
  [part~='edit-message']:hover,
  [part~='remove-message']:hover,
  [part~='load-older']:hover {
    background: var(--porthole-button-hover-bg, var(--bu));
  }
  /* "Trying again…": still focusable (aria-disabled), visibly busy */
  [aria-disabled='true'] {
    cursor: progress;
    opacity: 0.7;
  }
  .retried {
    font-size: 0.85em;
  }
  [hidden] {
    display: none;
  }
  /* mobile sheet (mobile helper): below 480 px of width or height (a phone either way up, 400 % zoom)
     the open panel fills the visual viewport (the sheet controller sets --vt and --vh from
     visualViewport); !important beats the launcher's own positioning of the panel. Touch targets
     are 44 × 44 px, the input's font 16 px at least (iOS zooms into a smaller one on focus). */
  @media (max-width: 480px), (max-height: 480px) {
    :host {
      position: fixed !important;
      inset: var(--vt, 0) 0 auto !important;
      width: auto;
      height: var(--vh, 100%);
    }
    section {
      box-sizing: border-box;
      padding: 0 env(safe-area-inset-right) env(safe-area-inset-bottom) env(safe-area-inset-left);
      border-radius: 0;
    }
    header {
      padding: env(safe-area-inset-top) 0 0;
      padding-inline: 16px 4px;
    }
    button {
      min-width: 44px;
      min-height: 44px;
    }
    textarea,
    input {
      font-size: max(16px, 1em);
    }
  }
  /* Landscape and 400 % zoom: a one-line input, the log keeps the room. */
  @media (max-height: 480px) {
    form {
      padding-block: 4px;
    }
    textarea {
      box-sizing: border-box;
      height: 44px;
    }
  }
`;
