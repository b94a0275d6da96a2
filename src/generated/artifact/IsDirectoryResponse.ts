// Original file: proto/artifact.proto


export interface IsDirectoryResponse {
  'is_directory'?: (boolean);
  'error'?: (string);
}

export interface IsDirectoryResponse__Output {
  'is_directory': (boolean);
  'error': (string);
}
