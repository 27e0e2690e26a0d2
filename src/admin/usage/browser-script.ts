// The page's only script, served as /assets/operator-page.js: draws the chart of the calls per
// day and task with uPlot from the JSON the page embeds. Without it the tables say it all.
export const OPERATOR_PAGE_SCRIPT = `(function () {
  'use strict';
  var host = document.getElementById('chart');
  var source = document.getElementById('chart-data');
  if (!host || !source) return;
  var data = JSON.parse(source.textContent || '{}');
  if (!data.series || data.series.length === 0) {
    host.textContent = 'No legacy call in the window.';
    return;
  }
  if (typeof window.uPlot !== 'function') return;
  var palette = ['#0b5cad', '#c2410c', '#15803d', '#7e22ce', '#b91c1c', '#0e7490', '#a16207', '#be185d', '#4d7c0f', '#1d4ed8'];
  var xs = data.days.map(function (day) { return Date.parse(day + 'T00:00:00Z') / 1000; });
  var series = [{ label: 'Day' }].concat(data.series.map(function (s, i) {
    return { label: s.label, stroke: palette[i % palette.length], width: 2, points: { show: false } };
  }));
  var width = function () { return Math.max(320, host.clientWidth - 16); };
  var plot = new window.uPlot({
    width: width(),
    height: 280,
    tzDate: function (ts) { return window.uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'); },
    scales: { x: { time: true }, y: { range: function (_u, _min, max) { return [0, Math.max(1, max)]; } } },
    axes: [{}, { label: 'calls per day' }],
    series: series,
  }, [xs].concat(data.series.map(function (s) { return s.daily; })), host);
  window.addEventListener('resize', function () { plot.setSize({ width: width(), height: 280 }); });
})();
`;
