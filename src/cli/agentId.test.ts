import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keptAgentId } from './agent.js';

describe('a generated AGENT_ID', () => {
  it('is kept in the data directory, so that a restarted agent is the same agent', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'qpilot-agent-id-')), 'data');
    const first = keptAgentId(dir);
    expect(first).toMatch(/^agent-[0-9a-f]{8}$/);
    expect(readFileSync(join(dir, 'agent-id'), 'utf8').trim()).toBe(first);
    expect(keptAgentId(dir)).toBe(first);
    expect(keptAgentId(mkdtempSync(join(tmpdir(), 'qpilot-agent-id-')))).not.toBe(first);
  });
});
