/**
 * An SVG of one trace's evaluation: the load, each policy's replicas, and each policy's p95
 * latency against the SLO, over time. Plain SVG text, no dependencies.
 */
import type { EvalSeries } from './evaluator.js';

const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];
const W = 1000;
const PANEL = 200;
const PAD = { left: 70, right: 160, top: 30, gap: 40 };

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function path(
  ts: Float64Array,
  ys: Float64Array,
  x: (t: number) => number,
  y: (v: number) => number,
): string {
  let d = '';
  for (let i = 0; i < ts.length; i++)
    d += `${i === 0 ? 'M' : 'L'}${x(ts[i]!).toFixed(1)},${y(ys[i]!).toFixed(1)}`;
  return d;
}

export function plotSvg(
  trace: string,
  runs: { policy: string; series: EvalSeries }[],
  sloMs: number,
): string {
  const all = runs.filter((r) => r.series.tSec.length > 1);
  const tMax = Math.max(1, ...all.map((r) => r.series.tSec[r.series.tSec.length - 1]!));
  const innerW = W - PAD.left - PAD.right;
  const x = (t: number) => PAD.left + (t / tMax) * innerW;
  const panelTop = (i: number) => PAD.top + i * (PANEL + PAD.gap);
  const H = panelTop(3) + 20;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${PAD.left}" y="18" font-size="14" font-weight="bold">${escape(trace)}</text>`,
  ];
  const panel = (i: number, title: string, max: number, log: boolean) => {
    const top = panelTop(i);
    const y = (v: number) => {
      const f = log
        ? Math.log10(Math.max(v, 1)) / Math.log10(Math.max(max, 10))
        : v / Math.max(max, 1e-9);
      return top + PANEL - Math.min(1, Math.max(0, f)) * PANEL;
    };
    out.push(
      `<rect x="${PAD.left}" y="${top}" width="${innerW}" height="${PANEL}" fill="none" stroke="#999"/>`,
    );
    out.push(`<text x="${PAD.left + 4}" y="${top - 6}" font-weight="bold">${escape(title)}</text>`);
    out.push(
      `<text x="${PAD.left - 6}" y="${top + 10}" text-anchor="end">${max.toFixed(max < 10 ? 1 : 0)}</text>`,
    );
    out.push(
      `<text x="${PAD.left - 6}" y="${top + PANEL}" text-anchor="end">${log ? 1 : 0}</text>`,
    );
    return y;
  };
  const first = all[0]?.series;
  if (first) {
    const y = panel(0, 'load (requests/s)', Math.max(...first.rps), false);
    out.push(
      `<path d="${path(first.tSec, first.rps, x, y)}" fill="none" stroke="#333" stroke-width="1"/>`,
    );
  }
  const yr = panel(
    1,
    'replicas (pods paid for)',
    Math.max(1, ...all.map((r) => Math.max(...r.series.replicas))),
    false,
  );
  const yl = panel(
    2,
    `p95 latency per interval (ms, log scale) against the ${sloMs} ms SLO`,
    10_000,
    true,
  );
  out.push(
    `<line x1="${PAD.left}" x2="${PAD.left + innerW}" y1="${yl(sloMs)}" y2="${yl(sloMs)}" stroke="#000" stroke-dasharray="4 3"/>`,
  );
  all.forEach((r, i) => {
    const c = COLORS[i % COLORS.length]!;
    out.push(
      `<path d="${path(r.series.tSec, r.series.replicas, x, yr)}" fill="none" stroke="${c}" stroke-width="1.2"/>`,
    );
    out.push(
      `<path d="${path(r.series.tSec, r.series.p95LatencyMs, x, yl)}" fill="none" stroke="${c}" stroke-width="1" opacity="0.8"/>`,
    );
    out.push(
      `<rect x="${W - PAD.right + 15}" y="${PAD.top + 10 + i * 18}" width="12" height="12" fill="${c}"/>`,
    );
    out.push(
      `<text x="${W - PAD.right + 32}" y="${PAD.top + 20 + i * 18}">${escape(r.policy)}</text>`,
    );
  });
  const days = tMax / 86_400;
  const tickEvery = days > 2 ? 86_400 : 3600 * Math.max(1, Math.round(tMax / 3600 / 12));
  for (let t = 0; t <= tMax; t += tickEvery) {
    out.push(
      `<text x="${x(t).toFixed(1)}" y="${panelTop(3) - PAD.gap + 14}" text-anchor="middle">${days > 2 ? `d${Math.round(t / 86_400)}` : `${Math.round(t / 3600)}h`}</text>`,
    );
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
