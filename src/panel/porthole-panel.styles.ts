import { css } from 'lit';

export const styles = css`
  :host {
    --a: var(--porthole-accent, #1a56db);
    --on: var(--porthole-on-accent, #fff);
    --r: var(--porthole-radius, 12px);
    display: block;
    width: min(380px, calc(100vw - 40px));
    height: min(560px, calc(100vh - 120px));
    font: var(--porthole-font, 15px/1.4 system-ui, sans-serif);
    color: #1f2328;
  }
  :host(:not([open])) {
    display: none;
  }
  section {
    display: flex;
    flex-direction: column;
    height: 100%;
    background: #fff;
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
    color: #57606a;
  }
  .m {
    max-width: 85%;
    padding: 8px 12px;
    border-radius: var(--r);
    background: #eef0f3;
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
    color: #57606a;
  }
  .fallback {
    padding: 12px 16px;
    background: #fff4e5;
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
    gap: 8px;
    padding: 10px;
    border-top: 1px solid #d0d7de;
  }
  textarea {
    flex: 1;
    resize: none;
    padding: 8px;
    border: 1px solid #8c959f;
    border-radius: 8px;
    max-height: 8em;
  }
  .send {
    border: 0;
    border-radius: 8px;
    padding: 0 14px;
    background: var(--a);
    color: var(--on);
  }
  [hidden] {
    display: none;
  }
`;
