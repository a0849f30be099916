import { expect } from '@open-wc/testing';
import { render } from 'lit';
import { FakeClock } from '../testing/fake-clock.js';
import { fakePageTimers } from '../testing/fake-page-timers.js';
import type { ChatFile } from '../transport/transport.js';
import { download, DOWNLOAD_REVOKE_DELAY } from './file-list.js';
import { renderFiles, type FileLoader } from './files.js';

const IMG: ChatFile = { id: 'i1', name: 'photo.png', size: 2048, type: 'image/png', width: 4, height: 4 };
const PDF: ChatFile = { id: 'p1', name: 'report.pdf', size: 8, type: 'application/pdf' };

/** Spies on URL.createObjectURL / revokeObjectURL until `restore()`. */
function spyUrls() {
  const { createObjectURL: create, revokeObjectURL: revoke } = URL;
  const created: string[] = [];
  const revoked: string[] = [];
  URL.createObjectURL = (b: Blob | MediaSource) => {
    const u = create(b);
    created.push(u);
    return u;
  };
  URL.revokeObjectURL = (u: string) => {
    revoked.push(u);
    revoke(u);
  };
  return { created, revoked, restore: () => Object.assign(URL, { createObjectURL: create, revokeObjectURL: revoke }) };
}

describe('file-list', () => {
  it('keeps a download blob: URL alive after the click, and revokes it later', async () => {
    const clock = new FakeClock();
    const restoreTimers = fakePageTimers(clock);
    const urls = spyUrls();
    const click = HTMLAnchorElement.prototype.click;
    const clicked: string[] = [];
    HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
      clicked.push(this.href);
    };
    try {
      const link = document.createElement('a');
      await download(link, PDF, async () => new Blob(['%PDF'], { type: 'application/pdf' }));
      expect(clicked).to.have.length(1);
      expect(urls.revoked, 'not revoked right after the click').to.deep.equal([]);
      await clock.tick(DOWNLOAD_REVOKE_DELAY - 1);
      expect(urls.revoked).to.deep.equal([]);
      await clock.tick(1);
      expect(urls.revoked).to.deep.equal(clicked);
    } finally {
      HTMLAnchorElement.prototype.click = click;
      urls.restore();
      restoreTimers();
    }
  });

  it('does not keep a URL for a preview that left the list while it loaded', async () => {
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    let asked = 0;
    const load: FileLoader = async () => {
      asked++;
      await held;
      return new Blob([new Uint8Array(8)], { type: 'image/png' });
    };
    const host = document.createElement('div');
    document.body.append(host);
    const urls = spyUrls();
    try {
      render(renderFiles([IMG], load), host);
      const list = host.querySelector('porthole-files')!;
      const img = list.querySelector('img')!;
      for (let i = 0; i < 100 && !asked; i++) await new Promise((r) => setTimeout(r, 5));
      expect(asked).to.equal(1);
      img.remove(); // the list still shows, without this preview
      release();
      for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 5));
      const live = urls.created.filter((u) => !urls.revoked.includes(u));
      expect(live, 'no blob: URL left alive').to.deep.equal([]);
      expect(img.hasAttribute('src')).to.equal(false);
    } finally {
      urls.restore();
      host.remove();
    }
  });
});
