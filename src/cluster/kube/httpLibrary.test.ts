import http from 'node:http';
import https from 'node:https';
import { describe, expect, it } from 'vitest';
import { keptAlive } from './httpLibrary.js';

describe('keptAlive', () => {
  it('gives requests with the same TLS identity one kept-alive agent, and others their own', () => {
    const a = keptAlive(new https.Agent({ ca: 'ca-1', rejectUnauthorized: true }));
    const b = keptAlive(new https.Agent({ ca: 'ca-1', rejectUnauthorized: true }));
    const rotated = keptAlive(new https.Agent({ ca: 'ca-2', rejectUnauthorized: true }));
    const plain = keptAlive(new http.Agent({}));
    expect(a).toBe(b);
    expect(a).toBeInstanceOf(https.Agent);
    expect((a as http.Agent & { keepAlive: boolean }).keepAlive).toBe(true);
    expect(rotated).not.toBe(a);
    expect(plain).not.toBe(a);
    expect(plain).toBeInstanceOf(http.Agent);
    expect(plain).not.toBeInstanceOf(https.Agent);
  });

  it('leaves a proxy agent as it is', () => {
    class ProxyAgent extends https.Agent {}
    const proxy = new ProxyAgent({});
    expect(keptAlive(proxy)).toBe(proxy);
    expect(keptAlive(undefined)).toBeUndefined();
  });
});
