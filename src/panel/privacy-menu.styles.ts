import { css } from 'lit';

/** The conversation menu's styles; colours come from the panel's custom properties (inherited). */
export const styles = css`
  :host {
    display: block;
    position: relative;
    z-index: 1;
    color: var(--porthole-text, #1f2328);
  }
  button {
    font: inherit;
    cursor: pointer;
  }
  :focus-visible {
    outline: 2px solid var(--porthole-accent, #1a56db);
    outline-offset: 2px;
  }
  [role='menu'] {
    position: absolute;
    top: 4px;
    inset-inline-end: 8px;
    display: flex;
    flex-direction: column;
    min-width: 14em;
    padding: 4px 0;
    background: var(--porthole-surface, #fff);
    border: 1px solid var(--porthole-border, #d0d7de);
    border-radius: 8px;
    box-shadow: 0 4px 14px #0003;
  }
  [role='menuitem'] {
    padding: 8px 14px;
    border: 0;
    background: none;
    color: inherit;
    text-align: start;
  }
  [role='menuitem']:hover,
  [role='menuitem']:focus-visible {
    background: var(--porthole-bubble, #eef0f3);
    outline-offset: -2px;
  }
  .banner {
    padding: 12px 16px;
    background: var(--porthole-surface, #fff);
    border-bottom: 1px solid var(--porthole-border, #d0d7de);
  }
  .banner p {
    margin: 0 0 8px;
  }
  .banner.alert {
    /* A warning keeps its own light colours, whatever the theme (as the fallback does). */
    background: #fff4e5;
    color: #1f2328;
    border-color: #f0c36d;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
  }
  .actions button {
    padding: 4px 12px;
    border: 1px solid var(--porthole-muted, #57606a);
    border-radius: 8px;
    background: none;
    color: inherit;
  }
  .actions .danger {
    border-color: #b42318;
    background: #b42318;
    color: #fff;
  }
  [aria-disabled='true'] {
    cursor: progress;
    opacity: 0.8;
  }
  .status {
    margin: 0;
    padding: 4px 16px;
    font-size: 0.85em;
    color: var(--porthole-muted, #57606a);
  }
`;
