// Demo helper: a row of buttons that drive window.Switchboard, and a log of its events.
// An external file with no inline handlers, so it also runs under strict-csp.html.
// It talks to the widget only through the documented queue, which works before and after
// the loader has run: (window.Switchboard = window.Switchboard || { q: [] }).q.push([...]).
(function () {
  'use strict';
  function call() {
    var sb = (window.Switchboard = window.Switchboard || { q: [] });
    sb.q = sb.q || [];
    sb.q.push([].slice.call(arguments));
  }

  var mount = document.getElementById('demo-controls');
  if (!mount) return;
  var list = document.createElement('ol');
  list.id = 'demo-events';
  function log(text) {
    var item = document.createElement('li');
    item.textContent = new Date().toLocaleTimeString() + ' ' + text;
    list.appendChild(item);
  }

  var actions = [
    ['Open', function () { call('open'); }],
    ['Close', function () { call('close'); }],
    ['Toggle', function () { call('toggle'); }],
    ['Identify Ana', function () { call('identify', { id: 'u-42', name: 'Ana', email: 'ana@example.com' }); }],
    ['Español', function () { call('setLocale', 'es'); }],
    ['Português', function () { call('setLocale', 'pt-BR'); }],
    ['English', function () { call('setLocale', 'en'); }]
  ];
  var row = document.createElement('p');
  actions.forEach(function (action) {
    var button = document.createElement('button');
    button.type = 'button';
    button.textContent = action[0];
    button.addEventListener('click', action[1]);
    row.appendChild(button);
    row.appendChild(document.createTextNode(' '));
  });
  var title = document.createElement('p');
  title.textContent = 'Widget events:';
  mount.appendChild(row);
  mount.appendChild(title);
  mount.appendChild(list);

  ['ready', 'open', 'close', 'unread'].forEach(function (name) {
    call('on', name, function (data) {
      log(name + (data && 'count' in data ? ' ' + data.count : ''));
    });
  });
})();
