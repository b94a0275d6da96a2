// Original file: proto/artifact.proto


export interface GetCapabilitiesRequest {
}

export interface GetCapabilitiesRequest__Output {
}
