// Original file: proto/multistore.proto

import type { Artifact as _artifact_Artifact, Artifact__Output as _artifact_Artifact__Output } from '../../artifact/Artifact.ts';

export interface CopyRequest {
  /**
   * The source: its configuration and the key (an object or a directory; with all, a prefix).
   */
  'from'?: (_artifact_Artifact | null);
  /**
   * The destination's configuration; the objects keep their keys.
   */
  'to'?: (_artifact_Artifact | null);
  /**
   * Copy every object whose key starts with from's key.
   */
  'all'?: (boolean);
}

export interface CopyRequest__Output {
  /**
   * The source: its configuration and the key (an object or a directory; with all, a prefix).
   */
  'from': (_artifact_Artifact__Output | null);
  /**
   * The destination's configuration; the objects keep their keys.
   */
  'to': (_artifact_Artifact__Output | null);
  /**
   * Copy every object whose key starts with from's key.
   */
  'all': (boolean);
}
