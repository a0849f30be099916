// TalkJS: the documented "minified snippet to load TalkJS without delaying your page". It injects
// https://cdn.talkjs.com/talk.js (the SDK), which loads the chat UI in an iframe at run time.
(function (t, a, l, k, j, s) {
  s = a.createElement('script');
  s.async = 1;
  s.src = 'https://cdn.talkjs.com/talk.js';
  a.head.appendChild(s);
  k = t.Promise;
  t.Talk = {
    v: 3,
    ready: {
      then: function (f) {
        if (k)
          return new k(function (r, e) {
            l.push([f, r, e]);
          });
        l.push([f]);
      },
      catch: function () {
        return k && new k();
      },
      c: l,
    },
  };
})(window, document, []);
