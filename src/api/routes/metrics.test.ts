import { afterEach, describe, expect, it } from 'vitest';
import { type SimApp, simApp } from '../testing/simApp.js';

let t: SimApp | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

describe('GET /metrics', () => {
  it('exposes decisions, actions, the loop and the API in Prometheus text format', async () => {
    t = await simApp({ settings: { policy: 'hpa' } });
    await t.app.inject({ method: 'POST', url: '/scale/all' });
    await t.app.inject({ method: 'POST', url: '/pod/scale/out' });
    // The change counts once its rollout is verified (its new pod needs 30 s to start).
    for (let i = 0; i < 40; i++) {
      t.advance(1000);
      await t.scaling.actuator.poll();
    }
    const res = await t.app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const text = res.body;
    expect(text).toMatch(/qpilot_decisions_total\{policy="hpa",outcome="(dry_run|no_change)"\} 1/);
    expect(text).toContain('qpilot_decisions_total{policy="manual",outcome="applied"} 1');
    expect(text).toContain(
      'qpilot_decision_actions_total{policy="manual",head="replicas",action="INCREASE"} 1',
    );
    expect(text).toContain('qpilot_scalings_applied_total{kind="horizontal",verified="true"} 1');
    expect(text).toContain('qpilot_loop_duration_seconds_count 1');
    expect(text).toMatch(/qpilot_verification_duration_seconds_count\{result="ready"\} 1/);
    expect(text).toContain('qpilot_loop_workloads{status="success"} 1');
    expect(text).toMatch(
      /qpilot_http_request_duration_seconds_count\{method="POST",route="\/scale\/all",status="200"\} 1/,
    );
    // Workload and pod names never become label values.
    expect(text).not.toMatch(/="web/);
  });
});
