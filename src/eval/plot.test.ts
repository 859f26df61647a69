import { describe, expect, it } from 'vitest';
import { plotSvg } from './plot.js';

const series = (replicas: number[], p95: number[]) => ({
  tSec: Float64Array.from(replicas.map((_, i) => i * 3600)),
  rps: Float64Array.from(replicas.map((r) => r * 100)),
  replicas: Float64Array.from(replicas),
  p95LatencyMs: Float64Array.from(p95),
});

describe('plotSvg', () => {
  it('draws the load once, and replicas and latency per policy, with the SLO line', () => {
    const svg = plotSvg(
      'a<b',
      [
        { policy: 'hpa', series: series([1, 2, 4], [50, 80, 120]) },
        { policy: 'dqn&co', series: series([1, 3, 3], [40, 300, 90]) },
      ],
      200,
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    // Names are escaped, never markup.
    expect(svg).toContain('a&lt;b');
    expect(svg).toContain('dqn&amp;co');
    expect(svg).not.toContain('dqn&co');
    // One load path, then a replicas and a latency path per policy.
    expect(svg.match(/<path /g)).toHaveLength(1 + 2 * 2);
    expect(svg).toContain('against the 200 ms SLO');
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(1);
    // Each path has a point per sample.
    const paths = [...svg.matchAll(/ d="([^"]+)"/g)].map((m) => m[1]!);
    for (const d of paths) expect(d.match(/[ML]/g)).toHaveLength(3);
    // The replicas axis goes up to the most replicas of any policy.
    expect(svg).toMatch(/>4\.0<\/text>/);
  });

  it('draws empty panels for runs without samples', () => {
    const svg = plotSvg('empty', [{ policy: 'hpa', series: series([], []) }], 200);
    expect(svg).not.toContain('<path');
    expect(svg).toContain('</svg>');
  });
});
