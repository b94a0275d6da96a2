// Original file: proto/artifact.proto


export interface OpenStreamResponse {
  'data'?: (Buffer | Uint8Array | string);
  /**
   * Argo's client stops at this frame without reading its data.
   */
  'is_end'?: (boolean);
  'error'?: (string);
}

export interface OpenStreamResponse__Output {
  'data': (Buffer);
  /**
   * Argo's client stops at this frame without reading its data.
   */
  'is_end': (boolean);
  'error': (string);
}
