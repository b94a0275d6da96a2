// Original file: proto/artifact.proto


export interface SaveArtifactResponse {
  'success'?: (boolean);
  'error'?: (string);
}

export interface SaveArtifactResponse__Output {
  'success': (boolean);
  'error': (string);
}
