import { dsse } from '@sigstore/core';

/**
 * DSSE pre-authentication encoding (DSSE protocol, "Signature definition"): the signature covers
 * "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, never the payload alone, so a payload cannot
 * be replayed under another type. `@sigstore/core` implements it; it is re-exported here so that
 * signing and verifying use one encoding.
 */
export const preAuthEncoding: (payloadType: string, payload: Buffer) => Buffer = dsse.preAuthEncoding;

/**
 * The malformed encoding model_signing v0.2.0 signed: capital "V", and the payload written as
 * Python's bytes repr (b'...'). Only the legacy v0.1 predicate may be checked against it, as
 * model_signing itself does; a current bundle must use the real PAE.
 */
export function legacyModelSigningPae(payloadType: string, payload: Uint8Array): Buffer {
  const body = pythonBytesRepr(payload);
  return Buffer.from(`DSSEV1 ${String(Buffer.byteLength(payloadType))} ${payloadType} ${String(payload.byteLength)} ${body}`, 'utf8');
}

/** Python's repr() of a bytes object. */
function pythonBytesRepr(bytes: Uint8Array): string {
  const hasSingle = bytes.includes(0x27);
  const hasDouble = bytes.includes(0x22);
  const quote = hasSingle && !hasDouble ? '"' : "'";
  let out = `b${quote}`;
  for (const byte of bytes) {
    if (byte === 0x5c) out += '\\\\';
    else if (byte === quote.charCodeAt(0)) out += `\\${quote}`;
    else if (byte === 0x09) out += '\\t';
    else if (byte === 0x0a) out += '\\n';
    else if (byte === 0x0d) out += '\\r';
    else if (byte < 0x20 || byte >= 0x7f) out += `\\x${byte.toString(16).padStart(2, '0')}`;
    else out += String.fromCharCode(byte);
  }
  return `${out}${quote}`;
}
