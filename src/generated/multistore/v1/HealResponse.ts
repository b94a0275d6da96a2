// Original file: proto/multistore.proto

import type { HealedObject as _multistore_v1_HealedObject, HealedObject__Output as _multistore_v1_HealedObject__Output } from '../../multistore/v1/HealedObject.ts';
import type { Long } from '@grpc/proto-loader';

export interface HealResponse {
  /**
   * Every object that was not healthy.
   */
  'objects'?: (_multistore_v1_HealedObject)[];
  'scanned'?: (number | string | Long);
  'healthy'?: (number | string | Long);
  'healed'?: (number | string | Long);
  'unrecoverable'?: (number | string | Long);
  'temp_files_removed'?: (number | string | Long);
  'error'?: (string);
}

export interface HealResponse__Output {
  /**
   * Every object that was not healthy.
   */
  'objects': (_multistore_v1_HealedObject__Output)[];
  'scanned': (string);
  'healthy': (string);
  'healed': (string);
  'unrecoverable': (string);
  'temp_files_removed': (string);
  'error': (string);
}
