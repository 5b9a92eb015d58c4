(function () { // FerroCRM analytics charts: draws every <div class="chart" data-chart="ID"> from the ECharts
  'use strict'; // option in <template id="ID"><script type="application/json">. CSP-safe: no eval,
  // no inline script; ECharts (vendored, same origin) is loaded on the first page that has a chart.
  // Which elements are drawn is kept here, not in attributes: htmx's settle step copies the old
  // element's attributes onto its replacement for a moment, so a mark would travel with them.
  var loading = null;
  var drawn = new WeakSet();
  var charts = [];
  function withEcharts(src, done) {
    if (window.echarts) { done(); return; }
    if (!loading) {
      loading = [];
      var s = document.createElement('script');
      s.src = src;
      s.onload = function () { var q = loading; loading = null; q.forEach(function (f) { f(); }); };
      s.onerror = function () { console.error('charts: ECharts did not load'); };
      document.head.appendChild(s);
    }
    loading.push(done);
  }
  function draw(el) {
    if (drawn.has(el) || !el.isConnected) return;
    var tpl = document.getElementById(el.getAttribute('data-chart'));
    var data = tpl && tpl.content && tpl.content.querySelector('script[type="application/json"]');
    if (!data) return;
    drawn.add(el);
    var chart = window.echarts.init(el, null, { renderer: 'canvas' });
    chart.setOption(JSON.parse(data.textContent));
    charts.push(chart);
  }
  function scan() {
    // Charts whose element left the page (navigation, a live refresh) are let go.
    charts = charts.filter(function (c) {
      if (c.getDom().isConnected) return true;
      c.dispose();
      return false;
    });
    var els = Array.prototype.filter.call(document.querySelectorAll('div.chart[data-chart]'), function (e) { return !drawn.has(e); });
    if (!els.length) return;
    withEcharts(els[0].getAttribute('data-echarts'), function () { els.forEach(draw); });
  }
  // Charts arrive with the page, with boosted navigation and with live refreshes: after any of
  // them has settled, draw what is new.
  var pending = false;
  function later() {
    if (pending) return;
    pending = true;
    setTimeout(function () { pending = false; scan(); }, 30);
  }
  new MutationObserver(function (records) {
    for (var i = 0; i < records.length; i++) {
      if (records[i].addedNodes.length) { later(); return; }
    }
  }).observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener('htmx:afterSettle', later);
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', scan);
  else scan();
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
}());
