import { css } from 'lit';

/** The conversation menu's styles; colours are the panel's palette (its --bg, --fg… inherited: dark mode included). */
export const styles = css`
  :host {
    display: block;
    position: relative;
    z-index: 1;
    color: var(--fg);
  }
  button {
    font: inherit;
    cursor: pointer;
  }
  :focus-visible {
    outline: 2px solid light-dark(var(--a), var(--fg));
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
    background: var(--bg);
    border: 1px solid var(--bo);
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
    background: var(--bu);
    outline-offset: -2px;
  }
  .banner {
    padding: 12px 16px;
    background: var(--bg);
    border-bottom: 1px solid var(--bo);
  }
  .banner p {
    margin: 0 0 8px;
  }
  .banner.alert {
    /* A warning keeps its own colours, whatever the palette (as the fallback does; dark mode: dark ones). */
    background: light-dark(#fff4e5, #3d2e00);
    color: light-dark(#1f2328, #f0f6fc);
    border-color: light-dark(#f0c36d, #9e6a03);
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
  }
  .actions button {
    padding: 4px 12px;
    border: 1px solid var(--mu);
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
    color: var(--mu);
  }
  /* mobile sheet (mobile helper): 44 px touch targets, as in the panel. */
  @media (max-width: 480px), (max-height: 480px) {
    button {
      min-width: 44px;
      min-height: 44px;
    }
  }
`;
