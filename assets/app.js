(function () { // FerroCRM front-end behaviour. No framework; CSP-safe (no eval, no inline styles).
  'use strict';
  function setNav(open) {
    document.body.classList.toggle('nav-open', open);
    document.querySelectorAll('button.nav-toggle').forEach(function (b) { b.setAttribute('aria-expanded', String(open)); });
  }
  function closeMenus(except) {
    document.querySelectorAll('details.user-menu[open]').forEach(function (d) { if (!d.contains(except)) d.open = false; });
  }
  // (a) Mobile nav toggle; backdrop click / Escape close it (and any open user menu). (d) Toast close.
  document.addEventListener('click', function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    if (t.closest('button.nav-toggle')) setNav(!document.body.classList.contains('nav-open'));
    else if (t.closest('.nav-backdrop')) setNav(false);
    closeMenus(t);
    var close = t.closest('.toast .toast-close');
    if (close) close.closest('.toast').remove();
  });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') { setNav(false); closeMenus(null); }
  });
  // (b) Confirmation: one mechanism for every form, boosted, htmx or plain. A form (or the button
  // that submits it) with data-confirm="text" opens a modal dialog first; the submit goes on only
  // after "Confirm". The capture listener runs before htmx's own submit listener on the form, so
  // nothing is sent while the dialog is open. The button that was clicked submits again after
  // "Confirm", so its name=value travels exactly once.
  var confirmed = null;
  function dialog() {
    var d = document.getElementById('confirm-dialog');
    if (d) return d;
    d = document.createElement('dialog');
    d.id = 'confirm-dialog';
    d.className = 'confirm-dialog';
    d.setAttribute('aria-labelledby', 'confirm-text');
    d.innerHTML = '<form method="dialog"><p id="confirm-text"></p><div class="row">' +
      '<button class="btn" value="cancel" type="submit">Cancel</button>' +
      '<button class="btn btn-primary" value="ok" type="submit" id="confirm-ok">Confirm</button></div></form>';
    document.body.appendChild(d);
    return d;
  }
  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!(form instanceof HTMLFormElement) || form.method === 'dialog') return;
    var btn = e.submitter;
    var msg = (btn && btn.getAttribute('data-confirm')) || form.getAttribute('data-confirm');
    if (!msg) return;
    if (confirmed === form) { confirmed = null; return; }
    e.preventDefault();
    e.stopImmediatePropagation();
    var d = dialog();
    d.querySelector('#confirm-text').textContent = msg;
    d.returnValue = '';
    d.onclose = function () {
      if (d.returnValue !== 'ok' || !form.isConnected) return;
      confirmed = form;
      if (btn && btn.isConnected) {
        // Focus gives the button back to htmx (it remembers the focused/clicked submitter and sends
        // its name=value); requestSubmit(btn) does the same for a plain form.
        btn.focus();
        form.requestSubmit(btn);
      } else {
        form.requestSubmit();
      }
    };
    d.showModal();
    d.querySelector('button[value=cancel]').focus();
  }, true);
  // (c) Server-sent "logout" event. htmx:sseMessage only fires for elements subscribed via
  // sse-swap="logout" / hx-trigger="sse:logout"; the sseOpen hook covers the bare connection.
  function logout() { window.location.assign('/login'); }
  document.addEventListener('htmx:sseMessage', function (e) { if (e.detail && e.detail.type === 'logout') logout(); });
  document.addEventListener('htmx:sseOpen', function (e) {
    if (e.detail && e.detail.source) e.detail.source.addEventListener('logout', logout);
    document.body.classList.add('live');
  });
  // The live dots show whether the stream is up (the extension reconnects by itself).
  document.addEventListener('htmx:sseError', function () { document.body.classList.remove('live'); });
  // (f) Live regions: the one mechanism for every part of a page that follows the server.
  // <div id="X" data-live="URL" data-live-on="ev1 ev2" [data-live-delay="ms"]> re-fetches URL when
  // one of its events arrives on the page's stream, and swaps in the element with id X from the
  // answer. Events are published after commit, so a request that starts after an event sees at
  // least that state. Hence: one request per region at a time; an event during a request marks the
  // region dirty and it fetches again once the answer is in; an answer whose region was replaced
  // meanwhile (navigation, a filter, the user's own action) or whose URL changed is dropped and
  // fetched again. The region always ends on the latest state, whatever the timing. After a
  // `resync` event or a reconnect of the stream (events may have been missed), every region
  // fetches once. No htmx attributes on the region itself, so nothing leaks to the links and
  // forms inside it (htmx attribute inheritance).
  var regions = {};
  var source = null, heard = null, opens = 0;
  function names(el) { return (el.getAttribute('data-live-on') || '').split(/\s+/).filter(Boolean); }
  function listenAll() {
    if (!source) return;
    document.querySelectorAll('[data-live-on]').forEach(function (el) {
      names(el).forEach(function (n) {
        if (heard[n] || n === 'resync') return;
        heard[n] = true;
        source.addEventListener(n, function () { poke(n); });
      });
    });
  }
  function poke(name) {
    document.querySelectorAll('[data-live]').forEach(function (el) {
      if (el.id && (name === 'resync' || names(el).indexOf(name) >= 0)) refresh(el.id, false);
    });
  }
  function refresh(id, retry) {
    var st = regions[id] || (regions[id] = { busy: false, dirty: false, timer: null, fails: 0 });
    if (st.busy) { st.dirty = true; return; }
    if (st.timer) return;
    var el = document.getElementById(id);
    var delay = retry ? Math.min(30000, 500 * Math.pow(2, st.fails)) : Number(el && el.getAttribute('data-live-delay')) || 0;
    st.timer = setTimeout(function () { st.timer = null; run(id, st); }, delay);
  }
  function run(id, st) {
    var el = document.getElementById(id);
    if (!el || !el.getAttribute('data-live')) { delete regions[id]; return; }
    var url = el.getAttribute('data-live');
    st.busy = true; st.dirty = false;
    fetch(url, { headers: { 'HX-Request': 'true', 'HX-Live': 'true' }, credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) {
        if (r.status === 404 || r.status === 403) return null; // gone, or no longer ours: leave it as is
        if (!r.ok) throw new Error('live refresh: ' + r.status);
        return r.text();
      })
      .then(function (html) {
        st.fails = 0;
        var cur = document.getElementById(id);
        if (html === null || !cur) return;
        if (cur !== el || cur.getAttribute('data-live') !== url) { st.dirty = true; return; }
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var fresh = doc.getElementById(id);
        if (!fresh) return;
        htmx.swap(cur, fresh.outerHTML, { swapStyle: 'outerHTML', swapDelay: 0, settleDelay: 0, ignoreTitle: true });
      })
      .catch(function () { st.fails += 1; st.retry = true; })
      .finally(function () {
        st.busy = false;
        if (st.retry) { st.retry = false; refresh(id, true); }
        else if (st.dirty) refresh(id, false);
      });
  }
  document.addEventListener('htmx:sseOpen', function (e) {
    var s = e.detail && e.detail.source;
    if (s && s !== source) { source = s; heard = {}; source.addEventListener('resync', function () { poke('resync'); }); }
    listenAll();
    // A reopened stream may have missed events: every region catches up once.
    if (opens++ > 0) poke('resync');
  });
  document.addEventListener('htmx:load', listenAll);
  // (e) Chat: the poster's own message arrives twice (in the POST answer and over the live stream),
  // in either order; keep whichever came first.
  function msgId(html) { var m = /id="(msg-\d+)"/.exec(html || ''); return m && m[1]; }
  document.addEventListener('htmx:sseBeforeMessage', function (e) {
    var id = e.detail && msgId(e.detail.data);
    if (id && document.getElementById(id)) e.preventDefault();
  });
  document.addEventListener('htmx:oobBeforeSwap', function (e) {
    var frag = e.detail && e.detail.fragment;
    if (!frag || !frag.querySelectorAll) return;
    frag.querySelectorAll('article.chat-msg[id]').forEach(function (a) {
      if (document.getElementById(a.id)) a.remove();
    });
  });
  // (d) Toasts are removed 6 s after they appear in #toasts (also if #toasts itself is swapped).
  function expire(root) {
    if (!(root instanceof Element)) return;
    var list = root.matches('#toasts .toast') ? [root] : root.querySelectorAll('#toasts .toast');
    Array.prototype.forEach.call(list, function (t) { setTimeout(function () { t.remove(); }, 6000); });
  }
  // (g) Times: <time data-local> elements are rendered by the server in the user's zone as
  // "2026-11-25 14:03"; here they take the browser's locale format (in the same zone), so pages
  // read like the date inputs beside them. The login form sends the browser's zone along.
  var fmtDateTime = null, fmtDate = null;
  function localise(root) {
    if (!(root instanceof Element) && root !== document) return;
    try {
      if (!fmtDate) {
        var tz = (document.body && document.body.dataset.tz) || undefined;
        fmtDate = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });
        fmtDateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone: tz });
      }
      var list = root.querySelectorAll('time[data-local]');
      if (root instanceof Element && root.matches('time[data-local]')) list = [root];
      Array.prototype.forEach.call(list, function (t) {
        var v = t.getAttribute('datetime');
        if (!v || t.dataset.localised) return;
        // A date is a calendar day (no zone); a moment is shown in the viewer's zone.
        t.textContent = t.dataset.local === 'date' ? fmtDate.format(new Date(v + 'T00:00:00Z')) : fmtDateTime.format(new Date(v));
        if (!t.title) t.title = v;
        t.dataset.localised = '1';
      });
    } catch (e) { /* an unknown zone or an old browser: the server's text stays */ }
  }
  document.addEventListener('htmx:load', function (e) { localise(e.target); });
  // (g) A <select data-fill="id"> copies its chosen option's data-value into the input #id (a
  // quality event's weight from its signal); the user may still change it afterwards.
  document.addEventListener('change', function (e) {
    var s = e.target;
    if (!(s instanceof HTMLSelectElement) || !s.dataset.fill) return;
    var target = document.getElementById(s.dataset.fill);
    var opt = s.selectedOptions[0];
    if (target && opt && opt.hasAttribute('data-value')) target.value = opt.getAttribute('data-value');
  });
  function init() {
    localise(document);
    var tz = document.getElementById('login-tz');
    if (tz) { try { tz.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch (e) { /* none */ } }
    expire(document.body);
    new MutationObserver(function (rs) { rs.forEach(function (r) { r.addedNodes.forEach(expire); }); })
      .observe(document.body, { childList: true, subtree: true });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
})();
