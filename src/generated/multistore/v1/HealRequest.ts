// Original file: proto/multistore.proto

import type { Artifact as _artifact_Artifact, Artifact__Output as _artifact_Artifact__Output } from '../../artifact/Artifact.ts';

export interface HealRequest {
  /**
   * The artifact's configuration selects the store; its key the object (ignored with all).
   */
  'artifact'?: (_artifact_Artifact | null);
  /**
   * Heal every object of the store, and remove abandoned temp files.
   */
  'all'?: (boolean);
}

export interface HealRequest__Output {
  /**
   * The artifact's configuration selects the store; its key the object (ignored with all).
   */
  'artifact': (_artifact_Artifact__Output | null);
  /**
   * Heal every object of the store, and remove abandoned temp files.
   */
  'all': (boolean);
}
