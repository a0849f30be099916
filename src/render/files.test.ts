import { expect, fixture, html } from '@open-wc/testing';
import { render } from 'lit';
import type { ChatFile } from '../transport/transport.js';
import { humanSize } from './file-size.js';
import { renderFileNames, renderFiles, type FileLoader } from './files.js';

/** A PNG of `w`×`h` pixels. */
async function png(w: number, h: number): Promise<Blob> {
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  canvas.getContext('2d')!.fillRect(0, 0, w, h);
  return new Promise((r) => canvas.toBlob((b) => r(b!), 'image/png'));
}

async function until(ok: () => boolean, tries = 200): Promise<void> {
  for (let i = 0; i < tries && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(ok(), 'condition not reached').to.equal(true);
}

/** A loader over `blobs` that records calls and can be held. */
function loader(blobs: Record<string, Blob>) {
  const calls: string[] = [];
  let release: () => void = () => {};
  let held: Promise<void> | undefined;
  const load: FileLoader = async (id, signal) => {
    calls.push(id);
    if (held) await held;
    signal?.throwIfAborted();
    if (!blobs[id]) throw new Error('not_found');
    return blobs[id];
  };
  return {
    load,
    calls,
    hold() {
      held = new Promise((r) => (release = r));
    },
    release: () => {
      held = undefined;
      release();
    },
  };
}

const IMG: ChatFile = { id: 'i1', name: 'photo.png', size: 2048, type: 'image/png', width: 480, height: 240 };
const PDF: ChatFile = { id: 'p1', name: 'report.pdf', size: 1.5 * 1024 * 1024, type: 'application/pdf' };

describe('renderFiles', () => {
  it('formats sizes as people read them', () => {
    expect([humanSize(532), humanSize(48 * 1024), humanSize(1.23 * 1024 * 1024), humanSize(14 * 1024 * 1024)]).to.deep.equal([
      '532 B',
      '48 KB',
      '1.2 MB',
      '14 MB',
    ]);
  });

  it('reserves the preview box before the image loads: no layout shift, natural size as sent', async () => {
    const l = loader({ i1: await png(480, 240) });
    l.hold();
    const el = await fixture<HTMLDivElement>(html`<div style="width: 300px">${renderFiles([IMG], l.load)}</div>`);
    await until(() => !!customElements.get('porthole-files'));
    const img = el.querySelector('img')!;
    const box = img.parentElement!;
    const before = box.getBoundingClientRect();
    // Capped at 240 px on either side: 480×240 → 240×120.
    expect([Math.round(before.width), Math.round(before.height)]).to.deep.equal([240, 120]);
    expect(img.hasAttribute('src')).to.equal(false);
    l.release();
    await until(() => img.complete && img.naturalWidth > 0);
    const after = box.getBoundingClientRect();
    expect([after.width, after.height]).to.deep.equal([before.width, before.height]);
    expect(img.src).to.match(/^blob:/);
    expect([img.naturalWidth, img.naturalHeight]).to.deep.equal([480, 240]);
    expect(img.alt).to.equal('photo.png');
  });

  it('keeps a fixed box for images of unknown size, and fits narrow containers', async () => {
    const l = loader({});
    const el = await fixture<HTMLDivElement>(
      html`<div style="width: 100px">
        ${renderFiles(
          [
            { ...IMG, width: undefined, height: undefined },
            { ...IMG, id: 'i2' },
          ],
          l.load,
        )}
      </div>`,
    );
    const [a, b] = [...el.querySelectorAll('img')].map((i) => i.parentElement!.getBoundingClientRect());
    expect([Math.round(a.width), Math.round(a.height)]).to.deep.equal([100, 120]);
    expect([Math.round(b.width), Math.round(b.height)]).to.deep.equal([100, 50]);
    await until(() => el.querySelectorAll('img[data-failed]').length === 2);
  });

  it('shows other files as download links with the name and size; a click downloads the blob with the name', async () => {
    const l = loader({ p1: new Blob(['%PDF-1.4'], { type: 'application/pdf' }) });
    const el = await fixture<HTMLDivElement>(html`<div>${renderFiles([PDF], l.load)}</div>`);
    const link = el.querySelector<HTMLAnchorElement>('a[part="file-link"]')!;
    expect(link.textContent!.replace(/\s+/g, ' ').trim()).to.equal('report.pdf 1.5 MB');
    expect(link.getAttribute('download')).to.equal('report.pdf');
    expect(l.calls, 'fetched only on demand').to.deep.equal([]);
    const clicked: Array<{ href: string; download: string }> = [];
    const click = HTMLAnchorElement.prototype.click;
    HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
      clicked.push({ href: this.href, download: this.download });
    };
    try {
      link.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }));
      await until(() => clicked.length === 1);
    } finally {
      HTMLAnchorElement.prototype.click = click;
    }
    expect(clicked[0].href).to.match(/^blob:/);
    expect(clicked[0].download).to.equal('report.pdf');
    expect(l.calls).to.deep.equal(['p1']);
  });

  it('renders hostile file names as text only, and never previews SVG', async () => {
    const evil = '<img src=x onerror="window.__pwned=1">.png';
    const l = loader({});
    const el = await fixture<HTMLDivElement>(
      html`<div>
        ${renderFiles(
          [
            { ...PDF, id: 'x', name: evil },
            { ...IMG, id: 's', name: 'a.svg', type: 'image/svg+xml' },
          ],
          l.load,
        )}
        ${renderFileNames([evil])}
      </div>`,
    );
    expect(el.querySelectorAll('img').length, 'no element from a name, no SVG preview').to.equal(0);
    expect(el.querySelector('a')!.textContent).to.contain(evil);
    expect(el.querySelectorAll('li')[2].textContent).to.equal(evil);
    expect((window as { __pwned?: number }).__pwned).to.equal(undefined);
  });

  it('revokes the blob: URLs when the message leaves the DOM', async () => {
    const l = loader({ i1: await png(10, 10) });
    const host = document.createElement('div');
    document.body.append(host);
    const revoked: string[] = [];
    const revoke = URL.revokeObjectURL;
    URL.revokeObjectURL = (u: string) => {
      revoked.push(u);
      revoke(u);
    };
    try {
      render(renderFiles([IMG], l.load), host);
      const img = host.querySelector('img')!;
      await until(() => img.src.startsWith('blob:'));
      const url = img.src;
      host.remove();
      expect(revoked).to.deep.equal([url]);
      expect(img.hasAttribute('src')).to.equal(false);
    } finally {
      URL.revokeObjectURL = revoke;
    }
  });
});
