// Original file: proto/multistore.proto

import type { Artifact as _artifact_Artifact, Artifact__Output as _artifact_Artifact__Output } from '../../artifact/Artifact.ts';

export interface VerifyRequest {
  /**
   * The artifact's configuration selects the store; its key names an object, or with all a prefix.
   */
  'artifact'?: (_artifact_Artifact | null);
  /**
   * Verify every object whose key starts with the key ("runs/", or "" for the whole store).
   */
  'all'?: (boolean);
}

export interface VerifyRequest__Output {
  /**
   * The artifact's configuration selects the store; its key names an object, or with all a prefix.
   */
  'artifact': (_artifact_Artifact__Output | null);
  /**
   * Verify every object whose key starts with the key ("runs/", or "" for the whole store).
   */
  'all': (boolean);
}
