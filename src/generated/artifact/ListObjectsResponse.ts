// Original file: proto/artifact.proto


export interface ListObjectsResponse {
  'objects'?: (string)[];
  'error'?: (string);
}

export interface ListObjectsResponse__Output {
  'objects': (string)[];
  'error': (string);
}
