// The page side of bench/markdown-render.ts (bundled by esbuild, production Lit): renders `n`
// messages with renderMessage into a scrolling log styled like the panel's, then scrolls it
// top to bottom and back by `step` px per animation frame, recording the frame intervals.
import { html, render } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { strings } from '../src/i18n/index.js';
import { styles as panelStyles } from '../src/panel/porthole-panel.styles.js';
import { loadMarkdown } from '../src/render/markdown/loader.js';
import { styles as markdownStyles } from '../src/render/markdown/markdown.styles.js';
import { renderMessage } from '../src/render/message.js';

const SAMPLES = [
  '**Good news:** your order _left_ our warehouse ~~yesterday~~ this morning. Tracking: `FR-1042-77` :tada:',
  '### To reset your password\n1. Open **Settings**\n2. Choose *Security*\n   - then *Password*\n3. Follow the [link](https://example.com/reset) we email you',
  '> I cannot log in since Monday\n\nThanks! The error was:\n```\nError 401: token expired\n```',
  '| Plan | Price |\n|:-----|------:|\n| Basic | 9 € |\n| Team | 29 € |',
];
const PLAIN = 'Could you tell me which order number this is about? I have checked, and the parcel left our warehouse yesterday.';
const actions = { retry() {}, edit() {}, remove() {} };

declare global {
  interface Window {
    __md: { setup(kind: 'markdown' | 'plain', n: number): Promise<number>; scroll(step: number): Promise<number[]> };
  }
}

let log: HTMLElement;

window.__md = {
  async setup(kind, n) {
    await loadMarkdown();
    const host = document.createElement('div');
    host.style.cssText = 'display:block;position:fixed;right:16px;bottom:16px;width:360px;height:520px';
    document.body.append(host);
    const root = host.attachShadow({ mode: 'open' });
    root.adoptedStyleSheets = [panelStyles.styleSheet!, markdownStyles.styleSheet!];
    const messages = Array.from({ length: n }, (_, i) => ({
      id: `m${i}`,
      text: kind === 'plain' ? `${i + 1}. ${PLAIN}` : SAMPLES[i % SAMPLES.length]!,
      from: i % 3 ? ('agent' as const) : ('visitor' as const),
    }));
    const t0 = performance.now();
    render(
      html`<div class="log" part="log" style="height:100%;box-sizing:border-box">
        ${repeat(
          messages,
          (m) => m.id,
          (m) => renderMessage({ ...m, author: 'Ada', state: 'sent' }, strings('en'), actions),
        )}
      </div>`,
      root,
    );
    log = root.querySelector('.log')!;
    log.getBoundingClientRect();
    await new Promise(requestAnimationFrame);
    return performance.now() - t0;
  },
  scroll(step) {
    return new Promise((resolve) => {
      const intervals: number[] = [];
      let last = performance.now();
      let dir = 1;
      log.scrollTop = 0;
      const frame = (now: number) => {
        intervals.push(now - last);
        last = now;
        const before = log.scrollTop;
        log.scrollTop += dir * step;
        if (log.scrollTop === before) {
          if (dir < 0) return resolve(intervals.slice(1));
          dir = -1;
        }
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    });
  },
};
