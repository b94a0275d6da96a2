// Original file: proto/artifact.proto

import type { Artifact as _artifact_Artifact, Artifact__Output as _artifact_Artifact__Output } from '../artifact/Artifact.ts';

/**
 * First frame: output_artifact only. Following frames: chunk only (1 B to 2 MiB).
 */
export interface SaveStreamArtifactRequest {
  'output_artifact'?: (_artifact_Artifact | null);
  'chunk'?: (Buffer | Uint8Array | string);
}

/**
 * First frame: output_artifact only. Following frames: chunk only (1 B to 2 MiB).
 */
export interface SaveStreamArtifactRequest__Output {
  'output_artifact': (_artifact_Artifact__Output | null);
  'chunk': (Buffer);
}
