// The demo's agent page: a person answers visitors as one of the support agents, through
// @mattermost/client — the same thing the team's ordinary Mattermost apps do. In gateway mode
// (the default) a conversation is a thread in the support channel, started by the companion's
// bot; in direct mode it is a private channel per visitor.
import C4 from '@mattermost/client/lib/client4';
import WSC from '@mattermost/client/lib/websocket';

// CommonJS modules with `exports.default`: depending on interop the import is the class or the module.
const Client4 = C4.default ?? C4;
const WebSocketClient = WSC.default ?? WSC;

const config = await (await fetch('/demo-config.json')).json();
const client = new Client4();
client.setUrl(config.mattermostUrl);
// Token auth (read from the `Token` header Mattermost exposes to allowed origins), no cookies.
client.setIncludeCookies(false);
const $ = (id) => document.getElementById(id);
let me = null;
/** The open conversation: `{ id, channelId, rootId? }` (rootId in gateway mode). */
let current = null;
const users = new Map();
const gateway = config.mode !== 'direct';

$('username').value = config.agent.username;
$('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('login-error').textContent = '';
  try {
    me = await client.login($('username').value, $('password').value);
  } catch (err) {
    $('login-error').textContent = `Sign-in failed: ${err.message}`;
    return;
  }
  $('login').hidden = true;
  $('desk').hidden = false;
  $('who').textContent = `Signed in as ${me.username}`;
  await refreshChannels();
  connect();
});

/**
 * The conversations, newest first: `{ id, conversation, channelId, rootId?, title }`, where
 * `conversation` is the id the visitor's session carries (`channelId` of the session response).
 */
async function conversations() {
  if (gateway) {
    // Root posts of the companion's bot in the support channel, one per visitor.
    const { order, posts } = await client.getPosts(config.supportChannelId, 0, 200);
    return order
      .map((id) => posts[id])
      .filter((p) => !p.root_id && p.props?.porthole_conversation)
      .sort((a, b) => b.last_reply_at - a.last_reply_at || b.create_at - a.create_at)
      .map((p) => ({
        id: p.id,
        conversation: p.props.porthole_conversation,
        channelId: p.channel_id,
        rootId: p.id,
        title: p.message.split('\n')[0].replace(/[*_\\]/g, ''),
      }));
  }
  return (await client.getMyChannels(config.teamId))
    .filter((c) => c.type === 'P' && c.id !== config.inboxChannelId)
    .sort((a, b) => b.last_post_at - a.last_post_at)
    .map((c) => ({ id: c.id, conversation: c.id, channelId: c.id, title: c.display_name || c.name }));
}

async function refreshChannels() {
  const list = $('channels');
  const all = await conversations();
  list.replaceChildren(
    ...all.map((c) => {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.textContent = c.title;
      b.dataset.conversation = c.conversation;
      b.setAttribute('aria-current', String(c.id === current?.id));
      b.addEventListener('click', () => openChannel(c));
      li.append(b);
      return li;
    }),
  );
  if (!all.length) list.textContent = 'No conversations yet — open the shop page and write something.';
}

async function name(userId) {
  if (!users.has(userId)) {
    const u = await client.getUser(userId).catch(() => ({ username: 'someone' }));
    users.set(userId, u.first_name || u.nickname || u.username);
  }
  return users.get(userId);
}

async function openChannel(c) {
  current = c;
  $('conversation-title').textContent = c.title;
  $('reply').hidden = false;
  const { order, posts } = c.rootId ? await client.getPostThread(c.rootId, true, false, false) : await client.getPosts(c.id, 0, 60);
  $('posts').replaceChildren();
  const list = order.map((id) => posts[id]).sort((a, b) => a.create_at - b.create_at);
  for (const p of list) await addPost(p);
  await refreshChannels();
}

/** Whether a live post belongs to the open conversation. */
const inCurrent = (p) => (current?.rootId ? p.id === current.rootId || p.root_id === current.rootId : p.channel_id === current?.id);

async function addPost(p) {
  if (p.type) return; // system messages
  if (document.querySelector(`#posts li[data-post-id="${p.id}"]`)) return;
  const li = document.createElement('li');
  li.className = p.user_id === me.id ? 'mine' : '';
  li.dataset.postId = p.id;
  const who = document.createElement('strong');
  // Gateway mode: the bot posts for the visitor, under the visitor's name (override_username).
  who.textContent = `${p.props?.override_username ?? (await name(p.user_id))}: `;
  const text = document.createElement('span');
  text.textContent = p.message;
  li.append(who, text);
  $('posts').append(li);
  li.scrollIntoView({ block: 'end' });
}

$('reply').addEventListener('submit', async (e) => {
  e.preventDefault();
  const message = $('message').value.trim();
  if (!message || !current) return;
  $('message').value = '';
  await client.createPost({ channel_id: current.channelId, message, ...(current.rootId ? { root_id: current.rootId } : {}) });
});
$('message').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey) {
    e.preventDefault();
    $('reply').requestSubmit();
  }
});

function connect() {
  const ws = new WebSocketClient();
  ws.addMessageListener(async (msg) => {
    if (msg.event !== 'posted') return;
    const post = JSON.parse(msg.data.post);
    if (inCurrent(post)) await addPost(post);
    else await refreshChannels();
  });
  ws.initialize(config.mattermostUrl.replace(/^http/, 'ws') + '/api/v4/websocket', client.getToken());
}
