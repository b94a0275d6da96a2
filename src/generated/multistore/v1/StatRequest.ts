// Original file: proto/multistore.proto

import type { Artifact as _artifact_Artifact, Artifact__Output as _artifact_Artifact__Output } from '../../artifact/Artifact.ts';

export interface StatRequest {
  'artifact'?: (_artifact_Artifact | null);
}

export interface StatRequest__Output {
  'artifact': (_artifact_Artifact__Output | null);
}
