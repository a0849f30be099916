import { css } from 'lit';

/** The markdown chunk's styles, adopted into the panel's shadow root when the chunk arrives. */
export const styles = css`
  .md {
    white-space: normal;
  }
  .md :is(p, ul, ol, blockquote, pre, table, [role='heading']) {
    margin: 0 0 0.5em;
  }
  .md > :last-child,
  .md li > :last-child {
    margin-bottom: 0;
  }
  .md :is(ul, ol) {
    padding-inline-start: 1.4em;
  }
  .md [role='heading'] {
    font-weight: 600;
    font-size: 1.05em;
  }
  .md blockquote {
    padding-inline-start: 0.6em;
    border-inline-start: 3px solid var(--porthole-quote-border, light-dark(#d0d7de, #30363d));
    margin-inline: 0;
  }
  .md code {
    font:
      0.9em ui-monospace,
      monospace;
    background: var(--porthole-code-bg, rgb(127 127 127 / 0.15));
    border-radius: 3px;
    padding: 0 0.2em;
  }
  .md pre {
    overflow-x: auto;
    white-space: pre;
    background: var(--porthole-code-bg, rgb(127 127 127 / 0.15));
    border-radius: 4px;
    padding: 0.4em 0.6em;
  }
  .md pre code {
    background: none;
    padding: 0;
  }
  .md .tw {
    overflow-x: auto;
  }
  .md table {
    border-collapse: collapse;
  }
  .md :is(th, td) {
    border: 1px solid var(--porthole-table-border, light-dark(#d0d7de, #30363d));
    padding: 0.2em 0.4em;
  }
  .md .center {
    text-align: center;
  }
  .md .right {
    text-align: right;
  }
  .md .raw {
    white-space: pre-wrap;
  }
`;
