// The score-over-time chart of the leaders: Chart.js with a linear x axis
// fed Unix milliseconds (no date adapter needed), stepped lines.

import { Chart, LineController, LineElement, PointElement, LinearScale, Legend, Tooltip } from 'chart.js';
import { h, formatClock } from './dom.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip);

export const PALETTE = [
  '#22d3ee', '#f472b6', '#a3e635', '#fbbf24', '#a78bfa',
  '#fb7185', '#34d399', '#60a5fa', '#f97316', '#e879f9',
];

/**
 * ScoreChart draws model.chartSeries() into a canvas and redraws on
 * update(). opts.large: bigger type for the projector.
 */
export class ScoreChart {
  constructor(canvas, model, { large = false } = {}) {
    this.model = model;
    this.span = 0;
    const font = large ? 18 : 12;
    Chart.defaults.color = '#cbd5e1';
    Chart.defaults.borderColor = 'rgba(148, 163, 184, 0.18)';
    this.chart = new Chart(canvas, {
      type: 'line',
      data: { datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        normalized: true,
        interaction: { mode: 'nearest', intersect: false },
        elements: { point: { radius: 0, hitRadius: 6, hoverRadius: 4 }, line: { borderWidth: large ? 4 : 2 } },
        scales: {
          x: {
            type: 'linear',
            ticks: { maxTicksLimit: 7, font: { size: font }, callback: (v) => formatClock(v, this.span < 15 * 60_000) },
          },
          y: { type: 'linear', beginAtZero: true, ticks: { precision: 0, font: { size: font } } },
        },
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: large ? 18 : 10, font: { size: font } } },
          tooltip: {
            callbacks: {
              title: (items) => (items.length ? formatClock(items[0].parsed.x, true) : ''),
              label: (item) => `${item.dataset.label}: ${item.parsed.y}`,
            },
          },
        },
      },
    });
    this.update();
  }

  update() {
    this.series = this.model.chartSeries(10);
    const { start, end, lines } = this.series;
    // The canvas's fallback content says in text what the chart draws.
    const canvas = this.chart.canvas;
    canvas.replaceChildren(h('ul', {}, lines.map((line) => h('li', {
      'data-player-id': line.player_id,
      text: `${line.label}: ${line.points[line.points.length - 1].y}`,
    }))));
    // The axis spans exactly the data: from the first event to now.
    const x = this.chart.options.scales.x;
    x.min = start;
    x.max = end;
    this.span = end - start;
    this.chart.data.datasets = lines.map((line, i) => ({
      label: line.label,
      data: line.points,
      stepped: 'before',
      borderColor: PALETTE[i % PALETTE.length],
      backgroundColor: PALETTE[i % PALETTE.length],
    }));
    this.chart.update('none');
  }

  destroy() {
    this.chart.destroy();
  }
}

/**
 * chartTable is the chart's series as a table, for who cannot see the
 * chart: a row for each time a line steps (oldest first), a column for
 * each player, each cell the player's score at that time ("–" before the
 * chart knows it).
 */
export function chartTable({ start, end, lines }, caption = 'Score over time of the top 10 players') {
  const times = [...new Set(lines.flatMap((l) => l.points.map((p) => p.x)))]
    .filter((x) => x !== start && x !== end)
    .sort((a, b) => a - b);
  const cursor = lines.map(() => -1); // per line: its last point at or before the row's time
  const rows = times.map((t) => h('tr', {},
    h('th', { scope: 'row' }, h('time', { datetime: new Date(t).toISOString(), text: formatClock(t, true) })),
    lines.map((line, i) => {
      while (cursor[i] + 1 < line.points.length && line.points[cursor[i] + 1].x <= t) cursor[i]++;
      return h('td', { class: 'num', text: cursor[i] >= 0 ? String(line.points[cursor[i]].y) : '–' });
    })));
  return h('table', { class: 'chart-table' },
    h('caption', { text: caption }),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', text: 'Time' }),
      lines.map((line) => h('th', { scope: 'col', class: 'num', text: line.label })))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: lines.length + 1, text: 'No scores yet.' }))));
}

/**
 * chartTableToggle is the chart's table alternative and the button that
 * shows it: {toggle, box, draw()}. The table is drawn only while shown
 * (draw() redraws it from series()), in a scrolling region that the
 * keyboard can reach (Tab, then the arrow keys).
 */
export function chartTableToggle({ id, series, caption }) {
  const box = h('div', {
    id, class: 'chart-table-box', hidden: true, tabindex: 0, role: 'region', 'aria-label': 'Score over time, as a table',
  });
  const draw = () => {
    if (box.hidden) box.replaceChildren();
    else box.replaceChildren(chartTable(series(), caption));
  };
  const toggle = h('button', {
    type: 'button', class: 'ghost chart-toggle', 'aria-expanded': 'false', 'aria-controls': id,
    text: 'Show the chart as a table',
    onClick: () => {
      const show = box.hidden;
      box.hidden = !show;
      toggle.setAttribute('aria-expanded', String(show));
      toggle.textContent = show ? 'Hide the table' : 'Show the chart as a table';
      draw();
    },
  });
  return { toggle, box, draw };
}
