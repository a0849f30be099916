import type { Meta } from '@storybook/web-components-vite';
import type { Session } from '../src/transport/transport.js';
import { names, shortHistory, type ChatArgs, type ChatContext } from './support/fixture.js';
import { chatMeta, chatStory } from './support/meta.js';

// Files both ways: attaching (button, drop, paste), upload progress, failed uploads (retryable and
// not), an agent's image and PDF, many files.
export default {
  title: 'Files',
  ...chatMeta,
} satisfies Meta<ChatArgs>;

const UPLOADS = {
  maxBytes: 10 * 1024 * 1024,
  types: ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf', 'text/plain'],
};
/** A session whose companion accepts uploads (the session response's `uploads`). */
const withUploads = (s: Session) => ({ ...s, uploads: UPLOADS });

const file = (name: string, size: number, type = 'image/png') => new File([new Uint8Array(size)], name, { type });

/** A PNG of `w`×`h` in the story's accent-like colour, with a label. */
async function picture(w: number, h: number, label: string): Promise<Blob> {
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const g = canvas.getContext('2d')!;
  g.fillStyle = '#1a56db';
  g.fillRect(0, 0, w, h);
  g.fillStyle = '#fff';
  g.font = `${Math.round(h / 6)}px system-ui`;
  g.fillText(label, w / 10, h / 2);
  return new Promise((r) => canvas.toBlob((b) => r(b!), 'image/png'));
}

/** Drops `files` on the panel, as a visitor dragging them from the desktop. */
function drop(c: ChatContext, files: File[]): void {
  const dt = new DataTransfer();
  for (const f of files) dt.items.add(f);
  const section = c.panel!.shadowRoot!.querySelector('section')!;
  section.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, composed: true, cancelable: true }));
  section.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, composed: true, cancelable: true }));
}

/** The paperclip in the composer: click it to pick files (the in-memory backend "uploads" them slowly). */
export const Attach = chatStory({
  transport: { history: shortHistory, names },
  getToken: withUploads,
  run: async (c) => {
    c.server.uploadSteps = 20;
    c.server.uploadStep = 150;
    await c.openAndLoad();
  },
});

/** Two files uploading: a labelled progress bar each, with a cancel button; Enter waits for them. */
export const Uploading = chatStory({
  transport: { history: shortHistory, names },
  getToken: withUploads,
  run: async (c) => {
    await c.openAndLoad();
    c.server.uploadSteps = 10;
    c.server.uploadPause = 0.6; // stops at 60 % (never released)
    drop(c, [file('receipt.png', 480_000), file('order-1042.pdf', 1_300_000, 'application/pdf')]);
  },
});

/** Uploaded, then sent with the message: the visitor's own files show as a preview and a link. */
export const Sent = chatStory({
  transport: { history: shortHistory, names },
  getToken: withUploads,
  run: async (c) => {
    await c.openAndLoad();
    const photo = new File([await picture(320, 200, 'parcel.png')], 'parcel.png', { type: 'image/png' });
    drop(c, [photo, file('notes.txt', 1200, 'text/plain')]);
    await c.until(() => !!c.panel?.shadowRoot?.querySelectorAll('[part="attachment"][data-state="done"]').length);
    await c.wait(500);
    // The visitor writes and presses Enter: the message goes with the uploaded files.
    const input = c.panel!.shadowRoot!.querySelector('textarea')!;
    input.value = 'The parcel arrived like this.';
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true, cancelable: true }));
  },
});

/**
 * Refused before a byte is sent, and refused by the server: the reason, with Remove only (a retry
 * would be refused again) — "photo.heic: this type can't be sent (allowed: images, PDF, text)",
 * "video.pdf is 14 MB; the limit is 10 MB".
 */
export const FailedNotRetryable = chatStory({
  transport: { history: shortHistory, names },
  getToken: withUploads,
  run: async (c) => {
    await c.openAndLoad();
    drop(c, [file('photo.heic', 2_000_000, 'image/heic'), file('video.pdf', 14 * 1024 * 1024, 'application/pdf')]);
  },
});

/** The connection failed during the upload: the reason with Retry (trying again can help) and Remove. */
export const FailedRetryable = chatStory({
  transport: { history: shortHistory, names },
  getToken: withUploads,
  run: async (c) => {
    await c.openAndLoad();
    c.server.failNext('upload', 'network');
    c.server.failNext('upload', 'rate_limited');
    drop(c, [file('receipt.png', 300_000), file('label.png', 90_000)]);
  },
});

/** An agent's image: a preview in a box sized from its width and height before it loads (no layout shift). */
export const AgentImage = chatStory({
  transport: { history: shortHistory, names },
  run: async (c) => {
    await c.openAndLoad();
    const img = c.server.addFile(await picture(600, 400, 'return-label.png'), 'return-label.png', { width: 600, height: 400 });
    c.server.agentPost('Here is your return label.', 'agent', [img]);
  },
});

/** An agent's PDF: a download link with its name and size. */
export const AgentPdf = chatStory({
  transport: { history: shortHistory, names },
  run: async (c) => {
    await c.openAndLoad();
    const pdf = c.server.addFile(
      new Blob(['%PDF-1.4\n%%EOF\n'.padEnd(245_000, ' ')], { type: 'application/pdf' }),
      'invoice 2024-1042.pdf',
    );
    c.server.agentPost('And the invoice.', 'agent', [pdf]);
  },
});

/** Many files on one message (up to 10): images of several shapes and documents, one with a hostile name shown as text. */
export const ManyFiles = chatStory({
  transport: { history: shortHistory, names },
  run: async (c) => {
    await c.openAndLoad();
    const files = [
      c.server.addFile(await picture(400, 300, 'front'), 'front.png', { width: 400, height: 300 }),
      c.server.addFile(await picture(300, 600, 'side'), 'side.png', { width: 300, height: 600 }),
      c.server.addFile(await picture(800, 200, 'panorama'), 'panorama.png', { width: 800, height: 200 }),
      c.server.addFile(new Blob(['a'.repeat(5300)], { type: 'text/plain' }), 'serial-numbers.txt'),
      c.server.addFile(new Blob(['%PDF'.padEnd(2_400_000)], { type: 'application/pdf' }), 'manual.pdf'),
      c.server.addFile(new Blob(['x']), '<img src=x onerror=alert(1)>.zip'),
    ];
    c.server.agentPost('Everything we have on this model:', 'agent', files);
  },
});
