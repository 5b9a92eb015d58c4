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
  // (b) Confirmation. htmx-driven forms have already called preventDefault by the time
  // the submit event reaches document; they are confirmed through htmx:confirm instead.
  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (e.defaultPrevented || !(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
    if (!window.confirm(form.dataset.confirm)) e.preventDefault();
  });
  document.addEventListener('htmx:confirm', function (evt) {
    var elt = evt.detail.elt, form = elt.closest('form');
    var msg = elt.dataset.confirm || (form && form.dataset.confirm);
    if (!msg) return;
    evt.preventDefault();
    if (window.confirm(msg)) evt.detail.issueRequest(true);
  });
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
  function init() {
    expire(document.body);
    new MutationObserver(function (rs) { rs.forEach(function (r) { r.addedNodes.forEach(expire); }); })
      .observe(document.body, { childList: true, subtree: true });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
})();
