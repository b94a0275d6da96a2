// Original file: proto/multistore.proto

import type { Long } from '@grpc/proto-loader';

export interface StatResponse {
  /**
   * "file", "directory" or "missing".
   */
  'kind'?: (string);
  /**
   * Bytes of the object, or the sum of the directory's objects.
   */
  'size'?: (number | string | Long);
  /**
   * 1 for a file, the number of objects for a directory.
   */
  'objects'?: (number | string | Long);
  /**
   * Unix milliseconds of the last modification, 0 when unknown.
   */
  'modified_ms'?: (number | string | Long);
  'error'?: (string);
  /**
   * The SHA-256 of a file's content (hex) as its Save recorded it; empty when none was recorded.
   */
  'sha256'?: (string);
}

export interface StatResponse__Output {
  /**
   * "file", "directory" or "missing".
   */
  'kind': (string);
  /**
   * Bytes of the object, or the sum of the directory's objects.
   */
  'size': (string);
  /**
   * 1 for a file, the number of objects for a directory.
   */
  'objects': (string);
  /**
   * Unix milliseconds of the last modification, 0 when unknown.
   */
  'modified_ms': (string);
  'error': (string);
  /**
   * The SHA-256 of a file's content (hex) as its Save recorded it; empty when none was recorded.
   */
  'sha256': (string);
}
