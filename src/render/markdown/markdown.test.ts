import { expect, fixture, html } from '@open-wc/testing';
import 'axe-core'; // UMD: defines window.axe
import type AxeCore from 'axe-core';
import { emojiMap } from './emoji.js';
import { MAX_COLUMNS, MAX_DEPTH, MAX_ROWS, renderMarkdown, styles } from './markdown.js';

const emoji = emojiMap();
const view = async (text: string) => {
  const host = await fixture<HTMLElement>(html`<div></div>`);
  const root = host.attachShadow({ mode: 'open' });
  root.adoptedStyleSheets = [styles.styleSheet!];
  const { render } = await import('lit');
  render(html`<div class="text" style="white-space:pre-wrap">${renderMarkdown(text, emoji)}</div>`, root);
  return root.querySelector('.md')!;
};
const tags = (el: Element) => [...el.querySelectorAll('*')].map((e) => e.localName);

/** Nothing that could run: no script, no event handler attribute, no link outside http(s)/mailto, no image. */
function assertInert(el: Element) {
  expect(el.querySelector('script, img, iframe, object, embed, svg, style, form, input'), 'no active element').to.equal(null);
  for (const e of el.querySelectorAll('*'))
    for (const a of e.attributes) expect(a.name.startsWith('on'), `${e.localName}[${a.name}]`).to.equal(false);
  for (const a of el.querySelectorAll('[href]')) expect(a.getAttribute('href')).to.match(/^(https?|mailto):/);
}

describe('renderMarkdown', () => {
  it('renders bold, italic, strike, inline code and line breaks', async () => {
    const el = await view('**bold** _it_ *it2* ~~gone~~ `a<b>`\nnext line');
    expect(el.querySelector('strong')!.textContent).to.equal('bold');
    expect([...el.querySelectorAll('em')].map((e) => e.textContent)).to.deep.equal(['it', 'it2']);
    expect(el.querySelector('del')!.textContent).to.equal('gone');
    expect(el.querySelector('code[part="code"]')!.textContent).to.equal('a<b>');
    expect(el.querySelector('br')).to.not.equal(null);
    expect(el.textContent).to.equal('bold it it2 gone a<b>next line');
  });

  it('renders code blocks, headings, quotes, lists and tables', async () => {
    const el = await view(
      '# Title\n\n> quoted\n\n- a\n- b\n  - nested\n\n3. three\n4. four\n\n```js\nif (a < b) {}\n```\n\n| x | y |\n|---|--:|\n| 1 | 2 |',
    );
    expect(el.querySelector('[part="heading"]')!.getAttribute('aria-level')).to.equal('3');
    const deep = await view('### Deep\n\n# Shallow');
    expect(
      [...deep.querySelectorAll('[part="heading"]')].map((h) => h.getAttribute('aria-level')),
      'every level 3, under the dialog title: no skipped level whatever the #s',
    ).to.deep.equal(['3', '3']);
    expect(el.querySelector('blockquote[part="quote"]')!.textContent).to.equal('quoted');
    expect(el.querySelectorAll(':scope > ul[part="list"] > li')).to.have.length(2);
    expect(el.querySelector('ul ul li')!.textContent).to.equal('nested');
    expect(el.querySelector('ol')!.getAttribute('start')).to.equal('3');
    expect(el.querySelector('pre[part="code-block"] code')!.textContent).to.equal('if (a < b) {}');
    expect(getComputedStyle(el.querySelector('pre')!).whiteSpace).to.equal('pre');
    const table = el.querySelector('table[part="table"]')!;
    expect([...table.querySelectorAll('th')].map((c) => c.textContent)).to.deep.equal(['x', 'y']);
    expect([...table.querySelectorAll('td')].map((c) => c.textContent)).to.deep.equal(['1', '2']);
    expect(getComputedStyle(table.querySelectorAll('td')[1]).textAlign).to.equal('right');
  });

  it('renders links and autolinks in a new tab without an opener; mentions and channels stay text', async () => {
    const el = await view('[docs](https://example.com/d) https://a.example www.b.example <mailto:x@example.com> @ada ~town-square');
    const links = [...el.querySelectorAll('a')];
    expect(links.map((a) => a.getAttribute('href'))).to.deep.equal([
      'https://example.com/d',
      'https://a.example/',
      'http://www.b.example/',
      'mailto:x@example.com',
    ]);
    for (const a of links) {
      expect(a.target).to.equal('_blank');
      expect(a.rel).to.equal('noopener noreferrer nofollow');
    }
    expect(el.textContent).to.contain('@ada ~town-square');
    expect(el.querySelector('del')).to.equal(null);
  });

  it('turns known shortcodes into emoji, in text only', async () => {
    const el = await view(':smile: :+1: :thumbsup: :satisfied: :nope: `:smile:`');
    expect(el.textContent).to.equal('😄 👍 👍 😆 :nope: :smile:');
    expect(emoji.size).to.be.greaterThan(300);
  });

  it('never loads an image: a link to it, or text', async () => {
    const el = await view('![a cat](https://example.com/cat.png) ![x](javascript:alert(1))');
    expect(el.querySelector('img')).to.equal(null);
    const a = el.querySelector('a')!;
    expect(a.getAttribute('href')).to.equal('https://example.com/cat.png');
    expect(a.textContent).to.equal('a cat');
    expect(el.textContent).to.contain('![x](javascript:alert(1))');
    assertInert(el);
  });

  it('refuses javascript:, data: and vbscript: links, with entity, whitespace and case tricks', async () => {
    const hostile = [
      '[a](javascript:alert(1))',
      '[b](JaVaScRiPt:alert(1))',
      '[c](jav&#x61;script:alert(1))',
      '[d](&#106;avascript:alert(1))',
      '[e]( javascript:alert(1))',
      '[f](<java\tscript:alert(1)>)',
      '[g](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
      '[h](vbscript:msgbox(1))',
      '[i](//evil.example)',
      '<javascript:alert(1)>',
      '[j]: javascript:alert(1)\n\n[j]',
      '[<img src=x onerror=alert(1)>](https://ok.example)',
    ];
    const el = await view(hostile.join('\n\n'));
    assertInert(el);
    expect([...el.querySelectorAll('a')].map((a) => a.getAttribute('href'))).to.deep.equal(['https://ok.example/']);
    expect(el.querySelector('a')!.textContent).to.equal('<img src=x onerror=alert(1)>');
  });

  it('shows raw HTML as text and runs none of it', async () => {
    (window as unknown as { pwned?: boolean }).pwned = false;
    const el = await view('<script>window.pwned = true</script>\n\n<img src=x onerror="window.pwned = true"> <b>b</b> **<i>x</i>**');
    await new Promise((r) => setTimeout(r, 50));
    assertInert(el);
    expect(tags(el)).to.not.include.members(['b', 'i']);
    expect(el.textContent).to.contain('<script>window.pwned = true</script>');
    expect(el.textContent).to.contain('<img src=x onerror="window.pwned = true">');
    expect((window as unknown as { pwned?: boolean }).pwned).to.equal(false);
  });

  it('caps huge tables: wide ones as text, long ones after the cap as text', async () => {
    const row = (n: number, v: string) => `|${` ${v} |`.repeat(n)}`;
    const wide = await view([row(MAX_COLUMNS + 1, 'h'), row(MAX_COLUMNS + 1, '---'), row(MAX_COLUMNS + 1, '1')].join('\n'));
    expect(wide.querySelector('table')).to.equal(null);
    expect(wide.textContent).to.contain('| h |');
    const long = await view([row(2, 'h'), row(2, '---'), ...Array.from({ length: MAX_ROWS + 5 }, (_, i) => row(2, `r${i}`))].join('\n'));
    expect(long.querySelectorAll('tbody tr')).to.have.length(MAX_ROWS);
    expect(long.querySelector('.raw')!.textContent).to.contain(`| r${MAX_ROWS + 4} |`);
  });

  it('flattens 500-deep lists and quotes, fast, and a hostile mix stays inert', async () => {
    let t = performance.now();
    const list = await view(Array.from({ length: 500 }, (_, i) => `${'  '.repeat(i)}- level ${i}`).join('\n'));
    expect(performance.now() - t, 'lexing 500 nested list levels').to.be.below(500);
    const depth = (el: Element, sel: string) => {
      let d = 0;
      for (let e: Element | null = el.querySelector(sel); e; e = e.querySelector(sel)) d++;
      return d;
    };
    expect(depth(list, 'ul')).to.be.at.most(MAX_DEPTH + 1);
    expect(list.textContent).to.contain('level 499');
    t = performance.now();
    const quotes = await view(`${'>'.repeat(5000)} deep`);
    expect(performance.now() - t).to.be.below(500);
    expect(depth(quotes, 'blockquote')).to.be.at.most(MAX_DEPTH + 1);
    expect(quotes.textContent).to.contain('deep');
    const mixed = await view(`${'> - '.repeat(300)}[x](javascript:alert(1)) <img src=x onerror=alert(1)>`);
    assertInert(mixed);
  });

  it('lexes a 16,383-character message in well under a frame budget per message', async () => {
    const text = '**bold** _it_ `code` [l](https://x.example) :smile: text\n'.repeat(300).slice(0, 16383);
    const t = performance.now();
    const el = await view(text);
    expect(performance.now() - t).to.be.below(200);
    expect(el.querySelectorAll('strong').length).to.be.greaterThan(250);
  });

  it('has no axe violations', async () => {
    const el = await view(
      '# Title\n\n**b** _i_ [l](https://example.com) `c`\n\n> q\n\n- a\n- [x] done\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\n```\ncode\n```',
    );
    const axe = (window as unknown as { axe: typeof AxeCore }).axe;
    const r = await axe.run(el, { resultTypes: ['violations'] });
    expect(r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(' | ')}`)).to.deep.equal([]);
  });
});
