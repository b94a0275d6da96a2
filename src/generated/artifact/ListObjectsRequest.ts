// Original file: proto/artifact.proto

import type { Artifact as _artifact_Artifact, Artifact__Output as _artifact_Artifact__Output } from '../artifact/Artifact.ts';

export interface ListObjectsRequest {
  'artifact'?: (_artifact_Artifact | null);
}

export interface ListObjectsRequest__Output {
  'artifact': (_artifact_Artifact__Output | null);
}
