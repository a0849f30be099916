import { expect, fixture, html } from '@open-wc/testing';
import 'axe-core'; // UMD: defines window.axe
import type AxeCore from 'axe-core';
import { FakeClock, settle } from '../testing/fake-clock.js';
import { MemoryStorage, testSession } from '../testing/helpers.js';
import { MemoryTransport } from '../transport/memory-transport.js';
import { configurePanel, PortholePanelElement } from './porthole-panel.js';

const UPLOADS = { maxBytes: 10 * 1024 * 1024, types: ['image/png', 'image/jpeg', 'application/pdf', 'text/plain'] };
const file = (name: string, size = 100, type = 'image/png') => new File([new Uint8Array(size)], name, { type });

async function openPanel(server = new MemoryTransport(), uploads: typeof UPLOADS | null = UPLOADS) {
  configurePanel({ transportFactory: () => server, clock: new FakeClock(), storage: new MemoryStorage() });
  const el = await fixture<PortholePanelElement>(
    html`<porthole-panel .getToken=${() => testSession({ uploads: uploads ?? undefined })}></porthole-panel>`,
  );
  const errors: string[] = [];
  el.addEventListener('porthole-error', (e) => errors.push((e as CustomEvent).detail.code));
  el.open = true;
  await settle();
  await el.updateComplete;
  return { el, server, errors };
}

const $ = <T extends Element = HTMLElement>(el: PortholePanelElement, sel: string) => el.shadowRoot!.querySelector<T>(sel);
const $$ = (el: PortholePanelElement, sel: string) => [...el.shadowRoot!.querySelectorAll<HTMLElement>(sel)];

async function until(el: PortholePanelElement, ok: () => boolean, tries = 200): Promise<void> {
  for (let i = 0; i < tries && !ok(); i++) {
    await new Promise((r) => setTimeout(r, 5));
    await el.updateComplete;
  }
  expect(ok(), 'condition not reached').to.equal(true);
}

function drop(el: PortholePanelElement, files: File[]): DragEvent {
  const dt = new DataTransfer();
  for (const f of files) dt.items.add(f);
  const section = $(el, 'section')!;
  const over = new DragEvent('dragover', { dataTransfer: dt, bubbles: true, composed: true, cancelable: true });
  section.dispatchEvent(over);
  expect(over.defaultPrevented, 'dragover accepts files').to.equal(true);
  const e = new DragEvent('drop', { dataTransfer: dt, bubbles: true, composed: true, cancelable: true });
  section.dispatchEvent(e);
  return e;
}

async function send(el: PortholePanelElement, text = '') {
  const ta = $<HTMLTextAreaElement>(el, 'textarea')!;
  ta.value = text;
  ta.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true, cancelable: true }));
  await el.updateComplete;
}

describe('<porthole-panel> attachments', () => {
  afterEach(() => configurePanel());

  it('offers a labelled attach button only when the session says what may be uploaded', async () => {
    const { el } = await openPanel();
    const button = $(el, '[part="attach"]')!;
    expect(button.getAttribute('aria-label')).to.equal('Attach files');
    expect(button.getAttribute('type')).to.equal('button');
    const old = await openPanel(new MemoryTransport(), null);
    expect(!!$(old.el, '[part="attach"]')).to.equal(false);
    // Files dragged over a panel without uploads are not accepted (a drop would be the browser's).
    const dt = new DataTransfer();
    dt.items.add(file('a.png'));
    const e = new DragEvent('dragover', { dataTransfer: dt, bubbles: true, composed: true, cancelable: true });
    $(old.el, 'section')!.dispatchEvent(e);
    expect(e.defaultPrevented).to.equal(false);
  });

  it('drops files: a labelled progress bar while uploading, then the message goes with them', async () => {
    const server = new MemoryTransport();
    server.uploadPause = 0.5;
    const { el } = await openPanel(server);
    expect(drop(el, [file('photo.png', 400), file('notes.txt', 10, 'text/plain')]).defaultPrevented).to.equal(true);
    await until(el, () => $$(el, '[part="progress"]').length === 2);
    const bar = $<HTMLProgressElement>(el, '[part="progress"]')!;
    expect(bar.getAttribute('aria-label')).to.equal('Uploading photo.png');
    await until(el, () => bar.value === 200);
    expect(bar.max).to.equal(400);
    expect($(el, '[role="status"].sr')!.textContent).to.equal('Uploading 2 files…');
    // Sending now: nothing goes, the tray says why, the text stays.
    await send(el, 'here you go');
    expect($(el, '[part="attachments"] ~ [role="alert"]')!.textContent).to.contain('Wait until the files are uploaded');
    expect($<HTMLTextAreaElement>(el, 'textarea')!.value).to.equal('here you go');
    server.releaseUpload();
    await until(el, () => $$(el, '[part="attachment"][data-state="done"]').length === 2);
    expect($(el, '[role="status"].sr')!.textContent).to.equal('2 files ready to send');
    await send(el, 'here you go');
    await until(el, () => server.visitorPosts.length === 1);
    expect(server.visitorPosts[0].files!.map((f) => f.name)).to.deep.equal(['photo.png', 'notes.txt']);
    expect($(el, '[part="attachments"]')).to.equal(null);
    // Shown in the log: the image as a preview, the text file as a link.
    await until(el, () => !!$(el, '[part="file-preview"]')?.getAttribute('src'));
    expect($(el, '[part="file-preview"]')!.getAttribute('alt')).to.equal('photo.png');
    expect($(el, '[part="file-link"]')!.textContent).to.contain('notes.txt');
  });

  it('sends files without text', async () => {
    const { el, server } = await openPanel();
    drop(el, [file('a.png')]);
    await until(el, () => $$(el, '[part="attachment"][data-state="done"]').length === 1);
    await send(el, '');
    await until(el, () => server.visitorPosts.length === 1);
    expect(server.visitorPosts[0].text).to.equal('');
  });

  it('pastes files from the clipboard', async () => {
    const { el } = await openPanel();
    const dt = new DataTransfer();
    dt.items.add(file('pasted.png'));
    const e = new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, composed: true, cancelable: true });
    $(el, 'textarea')!.dispatchEvent(e);
    expect(e.defaultPrevented, 'no text in the clipboard: nothing else to paste').to.equal(true);
    await until(el, () => $$(el, '[part="attachment"]').length === 1);
    expect($(el, '[part="attachment"] .name')!.textContent).to.equal('pasted.png');
  });

  it('refuses early with the reason and only a Remove; offers Retry where it can help; cancels', async () => {
    const server = new MemoryTransport();
    const { el, errors } = await openPanel(server);
    server.failNext('upload', 'network');
    drop(el, [file('photo.heic', 10, 'image/heic'), file('big.pdf', 14 * 1024 * 1024, 'application/pdf'), file('net.png')]);
    await until(el, () => $$(el, '[part="upload-error"]').length === 3);
    const texts = $$(el, '[part="upload-error"]').map((e) => e.textContent);
    expect(texts[0]).to.equal("photo.heic: this type can't be sent (allowed: images, PDF, text)");
    expect(texts[1]).to.equal('big.pdf is 14 MB; the limit is 10 MB');
    expect(texts[2]).to.equal('net.png could not be uploaded: the connection failed');
    const items = $$(el, '[part="attachment"]');
    expect(items.map((i) => !!i.querySelector('[part="retry-upload"]'))).to.deep.equal([false, false, true]);
    expect(items.every((i) => !!i.querySelector('[part="remove-upload"]'))).to.equal(true);
    expect(errors.filter((c) => c === 'upload_failed')).to.have.length(3);
    items[2].querySelector<HTMLElement>('[part="retry-upload"]')!.click();
    await until(el, () => $$(el, '[part="attachment"][data-state="done"]').length === 1);
    // Remove the refused ones.
    for (const b of $$(el, '[part="attachment"][data-state="failed"] [part="remove-upload"]')) b.click();
    await el.updateComplete;
    expect($$(el, '[part="attachment"]')).to.have.length(1);
    // Cancel one in flight.
    server.uploadPause = 0.25;
    drop(el, [file('slow.png', 400)]);
    await until(el, () => !!$(el, '[part="cancel-upload"]'));
    expect($(el, '[part="cancel-upload"]')!.getAttribute('aria-label')).to.equal('Cancel the upload of slow.png');
    $(el, '[part="cancel-upload"]')!.click();
    await el.updateComplete;
    expect($$(el, '[part="attachment"]').map((i) => i.querySelector('.name')!.textContent)).to.deep.equal(['net.png']);
  });

  it('shows an agent image as a sized preview and a PDF as a download link; axe clean with previews and progress', async () => {
    const server = new MemoryTransport();
    const canvas = document.createElement('canvas');
    canvas.width = 64;
    canvas.height = 32;
    const png = await new Promise<Blob>((r) => canvas.toBlob((b) => r(b!), 'image/png'));
    const img = server.addFile(png, 'chart.png', { width: 64, height: 32 });
    const pdf = server.addFile(new Blob(['%PDF'], { type: 'application/pdf' }), 'invoice <b>2024</b>.pdf');
    const { el } = await openPanel(server);
    server.agentPost('Here you are', 'agent', [img, pdf]);
    await until(el, () => !!$(el, '[part="file-preview"]')?.getAttribute('src'));
    const preview = $<HTMLImageElement>(el, '[part="file-preview"]')!;
    await until(el, () => preview.naturalWidth === 64);
    expect(preview.src).to.match(/^blob:/);
    expect($(el, '[part="file-link"]')!.textContent).to.contain('invoice <b>2024</b>.pdf');
    server.uploadPause = 0.5;
    drop(el, [file('x.png', 400), file('y.heic', 10, 'image/heic')]);
    await until(el, () => !!$(el, '[part="progress"]') && !!$(el, '[part="upload-error"]'));
    const axe = (window as unknown as { axe: typeof AxeCore }).axe;
    const r = await axe.run(el.shadowRoot!.querySelector('section')!, { resultTypes: ['violations'] });
    expect(r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(' | ')}`)).to.deep.equal([]);
    server.releaseUpload();
  });

  it('revokes preview URLs when the panel disconnects', async () => {
    const server = new MemoryTransport();
    const img = server.addFile(new Blob([new Uint8Array(8)], { type: 'image/png' }), 'a.png', { width: 10, height: 10 });
    const { el } = await openPanel(server);
    server.agentPost('pic', 'agent', [img]);
    await until(el, () => !!$(el, '[part="file-preview"]')?.getAttribute('src'));
    const preview = $<HTMLImageElement>(el, '[part="file-preview"]')!;
    const revoked: string[] = [];
    const revoke = URL.revokeObjectURL;
    URL.revokeObjectURL = (u: string) => (revoked.push(u), revoke(u));
    try {
      const url = preview.src;
      el.remove();
      expect(revoked).to.deep.equal([url]);
    } finally {
      URL.revokeObjectURL = revoke;
    }
  });
});
