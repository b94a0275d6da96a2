// Original file: proto/artifact.proto


export interface LoadArtifactResponse {
  'success'?: (boolean);
  'error'?: (string);
}

export interface LoadArtifactResponse__Output {
  'success': (boolean);
  'error': (string);
}
