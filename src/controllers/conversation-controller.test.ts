import { expect } from '@open-wc/testing';
import { settle } from '../testing/fake-clock.js';
import { TestHost } from '../testing/helpers.js';
import { MemoryTransport } from '../transport/memory-transport.js';
import type { ChatMessage } from '../transport/transport.js';
import { ConnectionController } from './connection-controller.js';
import { ConversationController } from './conversation-controller.js';

function setup(server: MemoryTransport) {
  const host = new TestHost();
  const received: ChatMessage[] = [];
  const conversation = new ConversationController(host, { perPage: 2, onReceived: (m) => received.push(m) });
  const states: string[] = [];
  const connection = new ConnectionController(host, (s) => states.push(s));
  host.connect();
  connection.attach(server);
  conversation.attach(server, 'visitor');
  return { host, conversation, connection, received, states };
}

describe('ConversationController', () => {
  it('pages history with load older', async () => {
    const server = new MemoryTransport({ history: [{ text: '1' }, { text: '2' }, { text: '3' }] });
    const { conversation } = setup(server);
    await conversation.load();
    expect(conversation.messages.map((m) => m.text)).to.deep.equal(['2', '3']);
    expect(conversation.hasMore).to.equal(true);
    await conversation.loadOlder();
    expect(conversation.messages.map((m) => m.text)).to.deep.equal(['1', '2', '3']);
    expect(conversation.hasMore).to.equal(false);
  });

  it('reports live agent posts, applies edits and deletions, de-duplicates by id', async () => {
    const server = new MemoryTransport();
    const { conversation, received } = setup(server);
    await conversation.load();
    await settle();
    const m = server.agentPost('hi');
    conversation.merge([m], true);
    expect(conversation.messages).to.have.length(1);
    expect(received).to.have.length(1);
    server.agentEdit(m.id, 'hi!');
    expect(conversation.messages[0].text).to.equal('hi!');
    expect(conversation.messages[0].edited).to.equal(true);
    server.agentDelete(m.id);
    expect(conversation.messages).to.have.length(0);
  });

  it('keeps a live post that arrives while the first page is still loading', async () => {
    const server = new MemoryTransport();
    const { conversation, received } = setup(server);
    // The page is answered from a snapshot taken before the post; the event overtakes it.
    let answer!: (p: { messages: ChatMessage[]; hasMore: boolean }) => void;
    server.latest = () => new Promise((r) => (answer = r));
    const loading = conversation.load();
    await settle();
    expect(server.state).to.equal('online');
    const live = server.agentPost('overtook the first page');
    answer({ messages: [], hasMore: false });
    await loading;
    expect(conversation.messages.map((m) => m.id)).to.deep.equal([live.id]);
    expect(received.map((m) => m.id)).to.deep.equal([live.id]);
  });

  it('attaching another transport while the old one is loading aborts its request and discards its page', async () => {
    const old = new MemoryTransport({ history: [{ text: 'old conversation' }] });
    let signal: AbortSignal | undefined;
    let answer!: (p: { messages: ChatMessage[]; hasMore: boolean }) => void;
    // A transport that ignores the signal: its late answer must still not be shown.
    old.latest = (_perPage, s) => ((signal = s), new Promise((r) => (answer = r)));
    const { conversation, connection } = setup(old);
    const loading = conversation.load().catch((e: unknown) => e);
    const fresh = new MemoryTransport({ history: [{ text: 'new conversation' }] });
    connection.attach(fresh);
    conversation.attach(fresh, 'visitor');
    expect(signal?.aborted).to.equal(true);
    answer({ messages: old.posts, hasMore: true });
    expect(((await loading) as Error).name).to.equal('AbortError');
    expect(conversation.loaded).to.equal(false);
    expect(conversation.messages).to.deep.equal([]);
    await conversation.load();
    expect(conversation.messages.map((m) => m.text)).to.deep.equal(['new conversation']);
    expect(conversation.hasMore).to.equal(false);
  });

  it('the host going away aborts a resync in flight; its changes are not merged', async () => {
    const server = new MemoryTransport({ history: [{ text: 'first' }] });
    const { conversation, host } = setup(server);
    await settle();
    await conversation.load();
    server.drop();
    server.agentPost('missed while the socket was down');
    const release = server.hold();
    const resync = conversation.resync().catch((e: unknown) => e);
    await settle();
    host.disconnect();
    expect(((await resync) as Error).name).to.equal('AbortError');
    release();
    await settle();
    expect(conversation.messages.map((m) => m.text)).to.deep.equal(['first']);
  });

  it('overlapping loads share one request', async () => {
    const server = new MemoryTransport({ history: [{ text: 'one' }] });
    const { conversation } = setup(server);
    await Promise.all([conversation.load(), conversation.load()]);
    expect(server.calls.filter((c) => c === 'latest')).to.have.length(1);
    expect(conversation.messages).to.have.length(1);
  });

  it('drops a second post carrying an already shown client id', async () => {
    const server = new MemoryTransport();
    const { conversation } = setup(server);
    await conversation.load();
    const base = { userId: 'visitor', text: 'x', createAt: 1, updateAt: 1, deleted: false, edited: false };
    conversation.merge([{ ...base, id: 'a', clientId: 'c1' }], true);
    conversation.merge([{ ...base, id: 'b', clientId: 'c1' }], true);
    expect(conversation.messages.map((m) => m.id)).to.deep.equal(['a']);
  });

  it('resyncs what the socket missed after a reconnect', async () => {
    const server = new MemoryTransport({ history: [{ text: 'before' }] });
    const { conversation, received } = setup(server);
    await settle();
    await conversation.load();
    server.drop();
    server.agentPost('missed while away');
    expect(conversation.messages).to.have.length(1);
    server.restore();
    await conversation.resync();
    expect(conversation.messages.map((m) => m.text)).to.deep.equal(['before', 'missed while away']);
    expect(received.map((m) => m.text)).to.deep.equal(['missed while away']);
    expect(server.calls.some((c) => c.startsWith('since:'))).to.equal(true);
  });

  it('a message the visitor sent while the socket was down does not hide what others posted meanwhile', async () => {
    const server = new MemoryTransport({ history: [{ text: 'before' }] });
    const { conversation } = setup(server);
    await settle();
    await conversation.load();
    server.drop();
    server.agentPost('posted while the socket was down');
    const sent = (await server.send({ clientId: 'c-1', text: 'mine, acknowledged over REST' })) as ChatMessage;
    conversation.merge([sent], false, false); // what the panel does with the outbox's answer
    server.restore();
    await conversation.resync();
    expect(conversation.messages.map((m) => m.text)).to.deep.equal([
      'before',
      'posted while the socket was down',
      'mine, acknowledged over REST',
    ]);
  });

  it('resyncs on bfcache restore and tab return', async () => {
    const server = new MemoryTransport();
    const { conversation } = setup(server);
    await conversation.load();
    window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
    await settle();
    document.dispatchEvent(new Event('visibilitychange'));
    await settle();
    expect(server.calls.filter((c) => c.startsWith('since:'))).to.have.length(2);
  });

  it('shows typing until a message arrives, and releases listeners on disconnect', async () => {
    const server = new MemoryTransport();
    const { conversation, host } = setup(server);
    await settle();
    await conversation.load();
    server.agentTyping();
    expect(conversation.typing).to.equal(true);
    server.agentPost('done typing');
    expect(conversation.typing).to.equal(false);
    host.disconnect();
    server.agentTyping();
    expect(conversation.typing).to.equal(false);
  });
});
