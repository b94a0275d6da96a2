// Original file: proto/artifact.proto


export interface DeleteArtifactResponse {
  'success'?: (boolean);
  'error'?: (string);
}

export interface DeleteArtifactResponse__Output {
  'success': (boolean);
  'error': (string);
}
