import { expect, fixture, html } from '@open-wc/testing';
import { renderText, safeHref } from './message-text.js';

const view = (text: string) => fixture(html`<div>${renderText(text)}</div>`);

describe('renderText', () => {
  it('renders markup as text, never as HTML', async () => {
    const el = await view('<img src=x onerror=alert(1)> <b>bold</b>');
    expect(el.querySelector('img, b')).to.equal(null);
    expect(el.textContent).to.equal('<img src=x onerror=alert(1)> <b>bold</b>');
  });

  it('links http(s) and mailto URLs, trimming sentence punctuation', async () => {
    const el = await view('See https://example.com/a?b=1. Or mail mailto:hi@example.com, thanks');
    const links = [...el.querySelectorAll('a')];
    expect(links.map((a) => a.getAttribute('href'))).to.deep.equal(['https://example.com/a?b=1', 'mailto:hi@example.com']);
    expect(links[0].rel).to.contain('noopener');
    expect(el.textContent).to.equal('See https://example.com/a?b=1. Or mail mailto:hi@example.com, thanks');
  });

  it('keeps a closing parenthesis that belongs to the URL', async () => {
    const el = await view('(see https://en.wikipedia.org/wiki/Foo_(bar))');
    expect(el.querySelector('a')!.getAttribute('href')).to.equal('https://en.wikipedia.org/wiki/Foo_(bar)');
  });

  it('does not link javascript:, data: or vbscript: URLs', async () => {
    const el = await view('javascript:alert(1) data:text/html,<script>x</script> vbscript:msgbox');
    expect(el.querySelector('a')).to.equal(null);
    expect(el.textContent).to.contain('javascript:alert(1)');
    expect(safeHref('javascript:alert(1)')).to.equal(undefined);
    expect(safeHref('https://ok.example')).to.equal('https://ok.example/');
  });

  it('keeps newlines in the text', async () => {
    const el = await view('line 1\nline 2');
    expect(el.textContent).to.equal('line 1\nline 2');
  });
});
