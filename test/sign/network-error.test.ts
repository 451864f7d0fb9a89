import { describe, expect, it } from 'vitest';
import { networkReason } from '../../src/sign/network-error.js';

const systemError = (code: string): Error => Object.assign(new Error(`connect ${code} 127.0.0.1:1?secret=query`), { code, syscall: 'connect' });

describe('networkReason: a code, "timed out" or "network error", never the message', () => {
  it("Node's fetch: the code of the TypeError's cause, whatever its form", () => {
    for (const code of ['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'CERT_HAS_EXPIRED']) {
      expect(networkReason(new TypeError('fetch failed', { cause: systemError(code) }))).toBe(code);
    }
    expect(networkReason(new TypeError('fetch failed', { cause: new Error('no code') }))).toBe('network error');
    expect(networkReason(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))).toBe('timed out');
  });

  it("make-fetch-happen's FetchError: only an errno-style code, and its timeout types", () => {
    const fetchError = (fields: Record<string, unknown>): Error => Object.assign(new Error('request to https://fulcio.example failed'), fields);
    expect(networkReason(fetchError({ code: 'ECONNREFUSED', type: 'system' }))).toBe('ECONNREFUSED');
    expect(networkReason(fetchError({ code: 'CERT_HAS_EXPIRED', type: 'system' }))).toBe('network error');
    expect(networkReason(fetchError({ code: 'FETCH_ERROR', type: 'request-timeout' }))).toBe('timed out');
    expect(networkReason(fetchError({ code: 'FETCH_ERROR', type: 'body-timeout' }))).toBe('timed out');
    expect(networkReason(fetchError({ code: 'FETCH_ERROR' }))).toBe('network error');
  });

  it('anything else is a network error', () => {
    for (const error of [undefined, null, 'ECONNREFUSED', {}, new Error('secret')]) expect(networkReason(error)).toBe('network error');
  });
});
