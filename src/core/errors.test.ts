import { describe, expect, it } from 'vitest';
import { QpError, errorCatalogue, invalidArgument, isQpError, notFound } from './errors.js';

describe('error catalogue', () => {
  it('gives every code an HTTP status and a summary', () => {
    for (const [code, entry] of Object.entries(errorCatalogue)) {
      expect(code).toMatch(/^QP_ERR_[A-Z_]+$/);
      expect(entry.status).toBeGreaterThanOrEqual(400);
      expect(entry.status).toBeLessThan(600);
      expect(entry.summary.length).toBeGreaterThan(5);
    }
  });

  it('carries code, status and details on a QpError', () => {
    const err = new QpError('QP_ERR_DISRUPTION_BUDGET', 'blocked', { pdb: 'web' });
    expect(err.status).toBe(429);
    expect(err.details).toEqual({ pdb: 'web' });
    expect(isQpError(err)).toBe(true);
    expect(isQpError(err, 'QP_ERR_DISRUPTION_BUDGET')).toBe(true);
    expect(isQpError(err, 'QP_ERR_NOT_FOUND')).toBe(false);
    expect(isQpError(new Error('x'))).toBe(false);
  });

  it('names what was not found and what was invalid', () => {
    expect(notFound('pod', 'default/web-1').message).toBe('pod "default/web-1" not found');
    expect(notFound('pod', 'x').status).toBe(404);
    expect(invalidArgument('limit must be an integer').status).toBe(400);
  });
});
