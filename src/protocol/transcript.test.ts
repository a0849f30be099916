import { expect } from '@open-wc/testing';
import { TRANSCRIPT_FORMAT, transcriptFileName, transcriptSchema } from './transcript.js';

const valid = {
  format: TRANSCRIPT_FORMAT,
  exportedAt: '2026-12-02T07:00:00.000Z',
  conversation: { id: 'c'.repeat(26), createdAt: null, visitorName: 'Grace' },
  messages: [
    {
      id: 'p'.repeat(26),
      author: 'agent',
      authorName: 'Ada',
      text: 'Hello',
      createdAt: '2026-12-01T10:00:00.000Z',
      editedAt: '2026-12-01T10:05:00.000Z',
      files: [{ name: 'a.pdf', size: 10, mimeType: 'application/pdf' }],
    },
  ],
};

describe('transcriptSchema', () => {
  it('accepts a transcript in the porthole-transcript/1 format', () => {
    expect(transcriptSchema.parse(valid)).to.deep.equal(valid);
    expect(transcriptSchema.parse({ ...valid, messages: [] }).messages).to.deep.equal([]);
  });

  it('refuses another format, author, time or file size, naming the field', () => {
    const bad = [
      { ...valid, format: 'porthole-transcript/2' },
      { ...valid, exportedAt: '2026-12-02' },
      { ...valid, messages: [{ ...valid.messages[0], author: 'bot' }] },
      { ...valid, messages: [{ ...valid.messages[0], files: [{ name: 'a', size: -1, mimeType: '' }] }] },
    ];
    const paths = bad.map((b) => transcriptSchema.safeParse(b).error?.issues[0]?.path.join('.'));
    expect(paths).to.deep.equal(['format', 'exportedAt', 'messages.0.author', 'messages.0.files.0.size']);
  });

  it('names the download after the UTC date', () => {
    expect(transcriptFileName(new Date('2026-12-31T23:30:00.000-02:00'))).to.equal('porthole-transcript-2027-01-01.json');
  });
});
