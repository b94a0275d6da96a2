// Original file: proto/artifact.proto

import type { Artifact as _artifact_Artifact, Artifact__Output as _artifact_Artifact__Output } from '../artifact/Artifact.ts';

export interface LoadArtifactRequest {
  'input_artifact'?: (_artifact_Artifact | null);
  'path'?: (string);
}

export interface LoadArtifactRequest__Output {
  'input_artifact': (_artifact_Artifact__Output | null);
  'path': (string);
}
