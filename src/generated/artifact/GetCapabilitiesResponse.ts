// Original file: proto/artifact.proto


export interface GetCapabilitiesResponse {
  'supports_save_stream'?: (boolean);
}

export interface GetCapabilitiesResponse__Output {
  'supports_save_stream': (boolean);
}
