// The demo's agent page: a person answers visitors as one of the support agents, through
// @mattermost/client — the same thing the team's ordinary Mattermost apps do.
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
let current = null;
const users = new Map();

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

async function refreshChannels() {
  const channels = (await client.getMyChannels(config.teamId))
    .filter((c) => c.type === 'P' && c.id !== config.inboxChannelId)
    .sort((a, b) => b.last_post_at - a.last_post_at);
  const list = $('channels');
  list.replaceChildren(
    ...channels.map((c) => {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.textContent = c.display_name || c.name;
      b.dataset.channelId = c.id;
      b.setAttribute('aria-current', String(c.id === current?.id));
      b.addEventListener('click', () => openChannel(c));
      li.append(b);
      return li;
    }),
  );
  if (!channels.length) list.textContent = 'No conversations yet — open the shop page and write something.';
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
  $('conversation-title').textContent = c.display_name || c.name;
  $('reply').hidden = false;
  const { order, posts } = await client.getPosts(c.id, 0, 60);
  $('posts').replaceChildren();
  for (const id of [...order].reverse()) await addPost(posts[id]);
  await refreshChannels();
}

async function addPost(p) {
  if (p.type) return; // system messages
  const li = document.createElement('li');
  li.className = p.user_id === me.id ? 'mine' : '';
  const who = document.createElement('strong');
  who.textContent = `${await name(p.user_id)}: `;
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
  await client.createPost({ channel_id: current.id, message });
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
    if (post.channel_id === current?.id) await addPost(post);
    else await refreshChannels();
  });
  ws.initialize(config.mattermostUrl.replace(/^http/, 'ws') + '/api/v4/websocket', client.getToken());
}
