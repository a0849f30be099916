import { css } from 'lit';

export const styles = css`
  :host {
    --a: var(--porthole-accent, #1a56db);
    --on: var(--porthole-on-accent, #fff);
    --r: var(--porthole-radius, 12px);
    --bg: var(--porthole-surface, #fff);
    --fg: var(--porthole-text, #1f2328);
    --mu: var(--porthole-muted, #57606a);
    --bu: var(--porthole-bubble, #eef0f3);
    --bo: var(--porthole-border, #d0d7de);
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
    outline: 2px solid var(--a);
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
    /* A warning keeps its own light colours, whatever the theme. */
    background: #fff4e5;
    color: #1f2328;
    border-bottom: 1px solid #f0c36d;
  }
  .fallback p {
    margin: 0 0 8px;
  }
  .fallback a {
    margin-inline-start: 12px;
    color: #0b4bc4;
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
  [hidden] {
    display: none;
  }
`;
