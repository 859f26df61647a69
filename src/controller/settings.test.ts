import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, settingsView, updateSettings } from './settings.js';

describe('settings', () => {
  it("starts from seed 002's defaults, dry run on", () => {
    const view = settingsView(DEFAULT_SETTINGS, { modelPath: 'models', inCluster: false });
    expect(view).toMatchObject({
      dry_run: true,
      auto_scale_enabled: true,
      auto_scale_interval: 30,
      scale_factor: 0.2,
      scaling_cooldown: 30,
      min_cpu: 0.1,
      max_cpu: 8,
      min_memory: 20,
      max_memory: 16384,
      namespaces: ['default'],
      excluded_labels: { app: 'redis', component: 'redis' },
    });
    expect(view.excluded_deployments).toContain('dqn-scaler');
  });

  it('applies the fields seed 002 allows', () => {
    const next = updateSettings(DEFAULT_SETTINGS, {
      dry_run: false,
      auto_scale_interval: 60,
      scale_factor: 0.3,
      scaling_cooldown: 45,
      namespaces: ['default', 'production'],
      excluded_deployments: ['redis', 'database'],
      excluded_labels: { app: 'system' },
    });
    expect(next).toMatchObject({
      dryRun: false,
      autoScaleIntervalSec: 60,
      scaleFactor: 0.3,
      scalingCooldownMin: 45,
      namespaces: ['default', 'production'],
      excludedDeployments: ['redis', 'database'],
      excludedLabels: { app: 'system' },
    });
    expect(DEFAULT_SETTINGS.dryRun).toBe(true);
  });

  it.each([
    [{ dry_run: 'false' }, 'dry_run must be a boolean, got string'],
    [{ auto_scale_interval: 1.5 }, 'auto_scale_interval must be an integer'],
    [{ auto_scale_interval: 0 }, 'auto_scale_interval must be from 5 to 86400 seconds'],
    [{ scale_factor: 1.5 }, 'scale_factor must be a number between 0 and 1'],
    [{ scaling_cooldown: -1 }, 'scaling_cooldown must be from 0 to 1440 minutes'],
    [{ namespaces: [] }, 'namespaces must not be empty'],
    [{ namespaces: ['Prod'] }, 'namespaces: "Prod" is not a valid Kubernetes name'],
    [{ excluded_deployments: 'redis' }, 'excluded_deployments must be an array of strings'],
    [{ excluded_labels: { app: 1 } }, 'excluded_labels.app must be a string, got number'],
    [{ min_cpu: 1 }, '"min_cpu" cannot be set'],
    [{ constructor: 1 }, '"constructor" cannot be set'],
    [{}, 'the body names no setting'],
    [[1], 'the body must be a JSON object of settings, got array'],
    [null, 'got null'],
  ])('refuses %j, naming what is wrong', (body, message) => {
    expect(() => updateSettings(DEFAULT_SETTINGS, body)).toThrow(message);
  });

  it('changes nothing when one field of several is wrong', () => {
    const before = { ...DEFAULT_SETTINGS };
    expect(() => updateSettings(DEFAULT_SETTINGS, { dry_run: false, scale_factor: 'x' })).toThrow(
      'scale_factor',
    );
    expect(DEFAULT_SETTINGS).toEqual(before);
  });
});
