// Original file: proto/multistore.proto

import type { Long } from '@grpc/proto-loader';

/**
 * What a copy is doing, streamed.
 */
export interface CopyEvent {
  /**
   * "planned" (first: total_objects, total_bytes), "progress" (bytes: copied so far, all objects),
   * "copied", "skipped" (the destination holds it already, identical) or "failed" (detail says why).
   */
  'state'?: (string);
  'key'?: (string);
  'bytes'?: (number | string | Long);
  'total_objects'?: (number | string | Long);
  'total_bytes'?: (number | string | Long);
  'detail'?: (string);
  /**
   * Set on the last message when the call failed.
   */
  'error'?: (string);
}

/**
 * What a copy is doing, streamed.
 */
export interface CopyEvent__Output {
  /**
   * "planned" (first: total_objects, total_bytes), "progress" (bytes: copied so far, all objects),
   * "copied", "skipped" (the destination holds it already, identical) or "failed" (detail says why).
   */
  'state': (string);
  'key': (string);
  'bytes': (string);
  'total_objects': (string);
  'total_bytes': (string);
  'detail': (string);
  /**
   * Set on the last message when the call failed.
   */
  'error': (string);
}
