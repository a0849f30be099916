// Crisp chatbox: the documented inline installation snippet, with a placeholder website id. It
// injects https://client.crisp.chat/l.js, which fetches the chatbox runtime at run time.
window.$crisp = [];
window.CRISP_WEBSITE_ID = '00000000-0000-4000-8000-000000000000';
(function () {
  d = document;
  s = d.createElement('script');
  s.src = 'https://client.crisp.chat/l.js';
  s.async = 1;
  d.getElementsByTagName('head')[0].appendChild(s);
})();
