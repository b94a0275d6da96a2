// Original file: proto/artifact.proto

import type { Artifact as _artifact_Artifact, Artifact__Output as _artifact_Artifact__Output } from '../artifact/Artifact.ts';

/**
 * Note the quirk: path is field 1 here, but field 2 in LoadArtifactRequest.
 */
export interface SaveArtifactRequest {
  'path'?: (string);
  'output_artifact'?: (_artifact_Artifact | null);
}

/**
 * Note the quirk: path is field 1 here, but field 2 in LoadArtifactRequest.
 */
export interface SaveArtifactRequest__Output {
  'path': (string);
  'output_artifact': (_artifact_Artifact__Output | null);
}
