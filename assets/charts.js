(function () { // FerroCRM analytics charts: draws every <div class="chart" data-chart="ID"> from the
  'use strict'; // ECharts option in <script type="application/json" id="ID">. CSP-safe: no eval,
  // no inline script; ECharts (vendored, same origin) is loaded on the first page that has a chart.
  var loading = null;
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
    if (el.getAttribute('data-drawn') || !el.isConnected) return;
    var data = document.getElementById(el.getAttribute('data-chart'));
    if (!data) return;
    var option = JSON.parse(data.textContent);
    var old = window.echarts.getInstanceByDom(el);
    if (old) old.dispose();
    var chart = window.echarts.init(el, null, { renderer: 'canvas' });
    chart.setOption(option);
    el.setAttribute('data-drawn', '1');
  }
  function scan(root) {
    var els = (root || document).querySelectorAll('div.chart[data-chart]:not([data-drawn])');
    if (!els.length) return;
    var src = els[0].getAttribute('data-echarts');
    withEcharts(src, function () { els.forEach(draw); });
  }
  // Charts arrive with the page, with boosted navigation and with live refreshes: watch for them.
  new MutationObserver(function (records) {
    for (var i = 0; i < records.length; i++) {
      if (records[i].addedNodes.length) { scan(document); return; }
    }
  }).observe(document.documentElement, { childList: true, subtree: true });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', function () { scan(document); });
  else scan(document);
  window.addEventListener('resize', function () {
    if (!window.echarts) return;
    document.querySelectorAll('div.chart[data-drawn]').forEach(function (el) {
      var c = window.echarts.getInstanceByDom(el);
      if (c) c.resize();
    });
  });
}());
