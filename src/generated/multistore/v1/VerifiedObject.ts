// Original file: proto/multistore.proto

import type { Long } from '@grpc/proto-loader';

/**
 * One object checked, streamed as each is done.
 */
export interface VerifiedObject {
  'key'?: (string);
  /**
   * "verified" (read whole, matching its recorded SHA-256), "unverified" (read whole; no digest was
   * recorded: written by Argo's own driver), "damaged" (did not match; detail says how) or "gone"
   * (deleted while being verified).
   */
  'state'?: (string);
  'size'?: (number | string | Long);
  'detail'?: (string);
  /**
   * Set on the last message when the call failed.
   */
  'error'?: (string);
}

/**
 * One object checked, streamed as each is done.
 */
export interface VerifiedObject__Output {
  'key': (string);
  /**
   * "verified" (read whole, matching its recorded SHA-256), "unverified" (read whole; no digest was
   * recorded: written by Argo's own driver), "damaged" (did not match; detail says how) or "gone"
   * (deleted while being verified).
   */
  'state': (string);
  'size': (string);
  'detail': (string);
  /**
   * Set on the last message when the call failed.
   */
  'error': (string);
}
