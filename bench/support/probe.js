// Page-side instrumentation for the browser benchmarks, installed before any page script
// (Playwright addInitScript). It only observes: the widget's code and DOM are untouched.
//
// - Every shadow root created on the page is registered (Element.prototype.attachShadow is
//   wrapped; the mode is kept) and watched with a MutationObserver, so the moment a
//   `[part~="message"][data-post-id]` element enters the DOM is recorded exactly (the observer
//   runs in the same task as the render), wherever the widget nests it.
// - Clicks on the launcher, `porthole-state-change`, `porthole-message` and `porthole-error`
//   events are time-stamped on the page's clock (performance.now()).
// - waitFor(check) resolves with the first time `check` holds, tested after every DOM
//   mutation, state change and animation frame.
// - A frame recorder (requestAnimationFrame intervals and long animation frames).
(() => {
  if (window.__pb) return;
  // The benchmarks run through tsx (esbuild, keepNames): functions they pass to page.evaluate may
  // call esbuild's `__name` helper, which does not exist in the page.
  if (!window.__name) window.__name = (f) => f;
  const now = () => performance.now();
  const roots = new Set();
  const seen = new Map(); // post id → first time in the DOM
  const states = [];
  const clicks = [];
  const messages = [];
  const errors = [];
  const waiters = new Set();

  const record = (el) => {
    const id = el.getAttribute('data-post-id');
    if (id && !seen.has(id) && (el.getAttribute('part') || '').split(/\s+/).includes('message')) seen.set(id, now());
  };
  const scan = (node) => {
    if (node.nodeType !== 1) return;
    if (node.hasAttribute('data-post-id')) record(node);
    for (const el of node.querySelectorAll('[data-post-id]')) record(el);
  };
  const check = () => {
    for (const w of waiters) {
      let ok = false;
      try {
        ok = w.test();
      } catch {}
      if (ok) {
        waiters.delete(w);
        w.resolve(now());
      }
    }
  };
  const observer = new MutationObserver((list) => {
    for (const m of list) {
      if (m.type === 'attributes') scan(m.target);
      else for (const n of m.addedNodes) scan(n);
    }
    if (waiters.size) check();
  });
  const watch = (root) => observer.observe(root, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-post-id'] });

  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const root = attach.call(this, init);
    roots.add(root);
    watch(root);
    return root;
  };
  watch(document);

  /** Every element matching `sel` in the document and in every live shadow root. */
  const all = (sel) => {
    const out = [...document.querySelectorAll(sel)];
    for (const r of roots) if (r.host.isConnected) out.push(...r.querySelectorAll(sel));
    return out;
  };
  const visible = (el) => !!el && el.isConnected && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const chat = () => document.querySelector('porthole-chat');
  const partOf = (el) => (el.getAttribute && (el.getAttribute('part') || '').split(/\s+/)) || [];

  addEventListener(
    'click',
    (e) => {
      if (e.composedPath().some((el) => partOf(el).includes('launcher'))) clicks.push(e.timeStamp);
    },
    true,
  );
  addEventListener(
    'porthole-state-change',
    (e) => (states.push({ t: now(), state: e.detail && e.detail.state }), waiters.size && check()),
    true,
  );
  addEventListener('porthole-message', (e) => messages.push({ t: now(), id: e.detail && e.detail.id }), true);
  addEventListener(
    'porthole-error',
    (e) => errors.push({ t: now(), code: e.detail && e.detail.code, message: e.detail && e.detail.message }),
    true,
  );

  const frames = { on: false, stamps: [], loaf: [], observer: null };

  window.__pb = {
    now,
    seen,
    states,
    clicks,
    messages,
    errors,
    all,
    visible,
    chat,
    /** Elements of the message list: `[part~="message"]`. */
    messageEls: () => all('[part~="message"]'),
    /** How many elements carry each post id right now (duplicates show as counts > 1). */
    postCounts(ids) {
      const want = new Set(ids);
      const counts = {};
      for (const el of all('[part~="message"][data-post-id]')) {
        const id = el.getAttribute('data-post-id');
        if (want.has(id)) counts[id] = (counts[id] || 0) + 1;
      }
      return counts;
    },
    /** Resolves with the first time `test()` holds (checked on mutations, state changes, frames). */
    waitFor(test, timeoutMs = 30000) {
      return new Promise((resolve, reject) => {
        const w = { test, resolve };
        waiters.add(w);
        check();
        const tick = () => {
          if (!waiters.has(w)) return;
          check();
          if (waiters.has(w)) requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
        setTimeout(() => {
          if (waiters.delete(w)) reject(new Error(`timed out after ${timeoutMs} ms`));
        }, timeoutMs);
      });
    },
    /** Online, the input visible, and (if given) the post `lastPostId` in the DOM. */
    isReady(lastPostId) {
      const el = chat();
      if (!el || el.connectionState !== 'online') return false;
      const input = all('[part~="input"]')[0];
      if (!visible(input)) return false;
      return !lastPostId || all(`[part~="message"][data-post-id="${lastPostId}"]`).length > 0;
    },
    /** The element that scrolls the message list: the nearest scrollable ancestor of a message, or the log part. */
    scroller() {
      const msg = all('[part~="message"]')[0];
      for (let el = msg; el; el = el.parentElement || (el.getRootNode() && el.getRootNode().host) || null) {
        const s = getComputedStyle(el);
        if (/(auto|scroll)/.test(s.overflowY) && el.scrollHeight > el.clientHeight) return el;
      }
      return all('[part~="log"]')[0] || null;
    },
    frames: {
      start() {
        frames.on = true;
        frames.stamps = [];
        frames.loaf = [];
        try {
          frames.observer = new PerformanceObserver((l) => frames.loaf.push(...l.getEntries().map((e) => e.duration)));
          frames.observer.observe({ type: 'long-animation-frame', buffered: false });
        } catch {}
        const loop = (t) => {
          if (!frames.on) return;
          frames.stamps.push(t);
          requestAnimationFrame(loop);
        };
        requestAnimationFrame(loop);
      },
      /** Stops; returns the frame intervals (ms) and the long animation frames' durations. */
      stop() {
        frames.on = false;
        if (frames.observer) frames.observer.disconnect();
        const s = frames.stamps;
        return { intervals: s.slice(1).map((t, i) => t - s[i]), longFrames: frames.loaf.slice() };
      },
    },
  };
})();
