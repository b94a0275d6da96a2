// Original file: proto/artifact.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DeleteArtifactRequest as _artifact_DeleteArtifactRequest, DeleteArtifactRequest__Output as _artifact_DeleteArtifactRequest__Output } from '../artifact/DeleteArtifactRequest.ts';
import type { DeleteArtifactResponse as _artifact_DeleteArtifactResponse, DeleteArtifactResponse__Output as _artifact_DeleteArtifactResponse__Output } from '../artifact/DeleteArtifactResponse.ts';
import type { GetCapabilitiesRequest as _artifact_GetCapabilitiesRequest, GetCapabilitiesRequest__Output as _artifact_GetCapabilitiesRequest__Output } from '../artifact/GetCapabilitiesRequest.ts';
import type { GetCapabilitiesResponse as _artifact_GetCapabilitiesResponse, GetCapabilitiesResponse__Output as _artifact_GetCapabilitiesResponse__Output } from '../artifact/GetCapabilitiesResponse.ts';
import type { IsDirectoryRequest as _artifact_IsDirectoryRequest, IsDirectoryRequest__Output as _artifact_IsDirectoryRequest__Output } from '../artifact/IsDirectoryRequest.ts';
import type { IsDirectoryResponse as _artifact_IsDirectoryResponse, IsDirectoryResponse__Output as _artifact_IsDirectoryResponse__Output } from '../artifact/IsDirectoryResponse.ts';
import type { ListObjectsRequest as _artifact_ListObjectsRequest, ListObjectsRequest__Output as _artifact_ListObjectsRequest__Output } from '../artifact/ListObjectsRequest.ts';
import type { ListObjectsResponse as _artifact_ListObjectsResponse, ListObjectsResponse__Output as _artifact_ListObjectsResponse__Output } from '../artifact/ListObjectsResponse.ts';
import type { LoadArtifactRequest as _artifact_LoadArtifactRequest, LoadArtifactRequest__Output as _artifact_LoadArtifactRequest__Output } from '../artifact/LoadArtifactRequest.ts';
import type { LoadArtifactResponse as _artifact_LoadArtifactResponse, LoadArtifactResponse__Output as _artifact_LoadArtifactResponse__Output } from '../artifact/LoadArtifactResponse.ts';
import type { OpenStreamRequest as _artifact_OpenStreamRequest, OpenStreamRequest__Output as _artifact_OpenStreamRequest__Output } from '../artifact/OpenStreamRequest.ts';
import type { OpenStreamResponse as _artifact_OpenStreamResponse, OpenStreamResponse__Output as _artifact_OpenStreamResponse__Output } from '../artifact/OpenStreamResponse.ts';
import type { SaveArtifactRequest as _artifact_SaveArtifactRequest, SaveArtifactRequest__Output as _artifact_SaveArtifactRequest__Output } from '../artifact/SaveArtifactRequest.ts';
import type { SaveArtifactResponse as _artifact_SaveArtifactResponse, SaveArtifactResponse__Output as _artifact_SaveArtifactResponse__Output } from '../artifact/SaveArtifactResponse.ts';
import type { SaveStreamArtifactRequest as _artifact_SaveStreamArtifactRequest, SaveStreamArtifactRequest__Output as _artifact_SaveStreamArtifactRequest__Output } from '../artifact/SaveStreamArtifactRequest.ts';

export interface ArtifactServiceClient extends grpc.Client {
  Delete(argument: _artifact_DeleteArtifactRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_DeleteArtifactResponse__Output>): grpc.ClientUnaryCall;
  Delete(argument: _artifact_DeleteArtifactRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_artifact_DeleteArtifactResponse__Output>): grpc.ClientUnaryCall;
  Delete(argument: _artifact_DeleteArtifactRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_DeleteArtifactResponse__Output>): grpc.ClientUnaryCall;
  Delete(argument: _artifact_DeleteArtifactRequest, callback: grpc.requestCallback<_artifact_DeleteArtifactResponse__Output>): grpc.ClientUnaryCall;
  delete(argument: _artifact_DeleteArtifactRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_DeleteArtifactResponse__Output>): grpc.ClientUnaryCall;
  delete(argument: _artifact_DeleteArtifactRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_artifact_DeleteArtifactResponse__Output>): grpc.ClientUnaryCall;
  delete(argument: _artifact_DeleteArtifactRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_DeleteArtifactResponse__Output>): grpc.ClientUnaryCall;
  delete(argument: _artifact_DeleteArtifactRequest, callback: grpc.requestCallback<_artifact_DeleteArtifactResponse__Output>): grpc.ClientUnaryCall;
  
  GetCapabilities(argument: _artifact_GetCapabilitiesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_GetCapabilitiesResponse__Output>): grpc.ClientUnaryCall;
  GetCapabilities(argument: _artifact_GetCapabilitiesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_artifact_GetCapabilitiesResponse__Output>): grpc.ClientUnaryCall;
  GetCapabilities(argument: _artifact_GetCapabilitiesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_GetCapabilitiesResponse__Output>): grpc.ClientUnaryCall;
  GetCapabilities(argument: _artifact_GetCapabilitiesRequest, callback: grpc.requestCallback<_artifact_GetCapabilitiesResponse__Output>): grpc.ClientUnaryCall;
  getCapabilities(argument: _artifact_GetCapabilitiesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_GetCapabilitiesResponse__Output>): grpc.ClientUnaryCall;
  getCapabilities(argument: _artifact_GetCapabilitiesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_artifact_GetCapabilitiesResponse__Output>): grpc.ClientUnaryCall;
  getCapabilities(argument: _artifact_GetCapabilitiesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_GetCapabilitiesResponse__Output>): grpc.ClientUnaryCall;
  getCapabilities(argument: _artifact_GetCapabilitiesRequest, callback: grpc.requestCallback<_artifact_GetCapabilitiesResponse__Output>): grpc.ClientUnaryCall;
  
  IsDirectory(argument: _artifact_IsDirectoryRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_IsDirectoryResponse__Output>): grpc.ClientUnaryCall;
  IsDirectory(argument: _artifact_IsDirectoryRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_artifact_IsDirectoryResponse__Output>): grpc.ClientUnaryCall;
  IsDirectory(argument: _artifact_IsDirectoryRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_IsDirectoryResponse__Output>): grpc.ClientUnaryCall;
  IsDirectory(argument: _artifact_IsDirectoryRequest, callback: grpc.requestCallback<_artifact_IsDirectoryResponse__Output>): grpc.ClientUnaryCall;
  isDirectory(argument: _artifact_IsDirectoryRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_IsDirectoryResponse__Output>): grpc.ClientUnaryCall;
  isDirectory(argument: _artifact_IsDirectoryRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_artifact_IsDirectoryResponse__Output>): grpc.ClientUnaryCall;
  isDirectory(argument: _artifact_IsDirectoryRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_IsDirectoryResponse__Output>): grpc.ClientUnaryCall;
  isDirectory(argument: _artifact_IsDirectoryRequest, callback: grpc.requestCallback<_artifact_IsDirectoryResponse__Output>): grpc.ClientUnaryCall;
  
  ListObjects(argument: _artifact_ListObjectsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_ListObjectsResponse__Output>): grpc.ClientUnaryCall;
  ListObjects(argument: _artifact_ListObjectsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_artifact_ListObjectsResponse__Output>): grpc.ClientUnaryCall;
  ListObjects(argument: _artifact_ListObjectsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_ListObjectsResponse__Output>): grpc.ClientUnaryCall;
  ListObjects(argument: _artifact_ListObjectsRequest, callback: grpc.requestCallback<_artifact_ListObjectsResponse__Output>): grpc.ClientUnaryCall;
  listObjects(argument: _artifact_ListObjectsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_ListObjectsResponse__Output>): grpc.ClientUnaryCall;
  listObjects(argument: _artifact_ListObjectsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_artifact_ListObjectsResponse__Output>): grpc.ClientUnaryCall;
  listObjects(argument: _artifact_ListObjectsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_ListObjectsResponse__Output>): grpc.ClientUnaryCall;
  listObjects(argument: _artifact_ListObjectsRequest, callback: grpc.requestCallback<_artifact_ListObjectsResponse__Output>): grpc.ClientUnaryCall;
  
  Load(argument: _artifact_LoadArtifactRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_LoadArtifactResponse__Output>): grpc.ClientUnaryCall;
  Load(argument: _artifact_LoadArtifactRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_artifact_LoadArtifactResponse__Output>): grpc.ClientUnaryCall;
  Load(argument: _artifact_LoadArtifactRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_LoadArtifactResponse__Output>): grpc.ClientUnaryCall;
  Load(argument: _artifact_LoadArtifactRequest, callback: grpc.requestCallback<_artifact_LoadArtifactResponse__Output>): grpc.ClientUnaryCall;
  load(argument: _artifact_LoadArtifactRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_LoadArtifactResponse__Output>): grpc.ClientUnaryCall;
  load(argument: _artifact_LoadArtifactRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_artifact_LoadArtifactResponse__Output>): grpc.ClientUnaryCall;
  load(argument: _artifact_LoadArtifactRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_LoadArtifactResponse__Output>): grpc.ClientUnaryCall;
  load(argument: _artifact_LoadArtifactRequest, callback: grpc.requestCallback<_artifact_LoadArtifactResponse__Output>): grpc.ClientUnaryCall;
  
  OpenStream(argument: _artifact_OpenStreamRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_artifact_OpenStreamResponse__Output>;
  OpenStream(argument: _artifact_OpenStreamRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_artifact_OpenStreamResponse__Output>;
  openStream(argument: _artifact_OpenStreamRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_artifact_OpenStreamResponse__Output>;
  openStream(argument: _artifact_OpenStreamRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_artifact_OpenStreamResponse__Output>;
  
  Save(argument: _artifact_SaveArtifactRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_SaveArtifactResponse__Output>): grpc.ClientUnaryCall;
  Save(argument: _artifact_SaveArtifactRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_artifact_SaveArtifactResponse__Output>): grpc.ClientUnaryCall;
  Save(argument: _artifact_SaveArtifactRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_SaveArtifactResponse__Output>): grpc.ClientUnaryCall;
  Save(argument: _artifact_SaveArtifactRequest, callback: grpc.requestCallback<_artifact_SaveArtifactResponse__Output>): grpc.ClientUnaryCall;
  save(argument: _artifact_SaveArtifactRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_SaveArtifactResponse__Output>): grpc.ClientUnaryCall;
  save(argument: _artifact_SaveArtifactRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_artifact_SaveArtifactResponse__Output>): grpc.ClientUnaryCall;
  save(argument: _artifact_SaveArtifactRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_SaveArtifactResponse__Output>): grpc.ClientUnaryCall;
  save(argument: _artifact_SaveArtifactRequest, callback: grpc.requestCallback<_artifact_SaveArtifactResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * v4.1+, experimental upstream.
   */
  SaveStream(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_SaveArtifactResponse__Output>): grpc.ClientWritableStream<_artifact_SaveStreamArtifactRequest>;
  SaveStream(metadata: grpc.Metadata, callback: grpc.requestCallback<_artifact_SaveArtifactResponse__Output>): grpc.ClientWritableStream<_artifact_SaveStreamArtifactRequest>;
  SaveStream(options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_SaveArtifactResponse__Output>): grpc.ClientWritableStream<_artifact_SaveStreamArtifactRequest>;
  SaveStream(callback: grpc.requestCallback<_artifact_SaveArtifactResponse__Output>): grpc.ClientWritableStream<_artifact_SaveStreamArtifactRequest>;
  /**
   * v4.1+, experimental upstream.
   */
  saveStream(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_SaveArtifactResponse__Output>): grpc.ClientWritableStream<_artifact_SaveStreamArtifactRequest>;
  saveStream(metadata: grpc.Metadata, callback: grpc.requestCallback<_artifact_SaveArtifactResponse__Output>): grpc.ClientWritableStream<_artifact_SaveStreamArtifactRequest>;
  saveStream(options: grpc.CallOptions, callback: grpc.requestCallback<_artifact_SaveArtifactResponse__Output>): grpc.ClientWritableStream<_artifact_SaveStreamArtifactRequest>;
  saveStream(callback: grpc.requestCallback<_artifact_SaveArtifactResponse__Output>): grpc.ClientWritableStream<_artifact_SaveStreamArtifactRequest>;
  
}

export interface ArtifactServiceHandlers extends grpc.UntypedServiceImplementation {
  Delete: grpc.handleUnaryCall<_artifact_DeleteArtifactRequest__Output, _artifact_DeleteArtifactResponse>;
  
  GetCapabilities: grpc.handleUnaryCall<_artifact_GetCapabilitiesRequest__Output, _artifact_GetCapabilitiesResponse>;
  
  IsDirectory: grpc.handleUnaryCall<_artifact_IsDirectoryRequest__Output, _artifact_IsDirectoryResponse>;
  
  ListObjects: grpc.handleUnaryCall<_artifact_ListObjectsRequest__Output, _artifact_ListObjectsResponse>;
  
  Load: grpc.handleUnaryCall<_artifact_LoadArtifactRequest__Output, _artifact_LoadArtifactResponse>;
  
  OpenStream: grpc.handleServerStreamingCall<_artifact_OpenStreamRequest__Output, _artifact_OpenStreamResponse>;
  
  Save: grpc.handleUnaryCall<_artifact_SaveArtifactRequest__Output, _artifact_SaveArtifactResponse>;
  
  /**
   * v4.1+, experimental upstream.
   */
  SaveStream: grpc.handleClientStreamingCall<_artifact_SaveStreamArtifactRequest__Output, _artifact_SaveArtifactResponse>;
  
}

export interface ArtifactServiceDefinition extends grpc.ServiceDefinition {
  Delete: MethodDefinition<_artifact_DeleteArtifactRequest, _artifact_DeleteArtifactResponse, _artifact_DeleteArtifactRequest__Output, _artifact_DeleteArtifactResponse__Output>
  GetCapabilities: MethodDefinition<_artifact_GetCapabilitiesRequest, _artifact_GetCapabilitiesResponse, _artifact_GetCapabilitiesRequest__Output, _artifact_GetCapabilitiesResponse__Output>
  IsDirectory: MethodDefinition<_artifact_IsDirectoryRequest, _artifact_IsDirectoryResponse, _artifact_IsDirectoryRequest__Output, _artifact_IsDirectoryResponse__Output>
  ListObjects: MethodDefinition<_artifact_ListObjectsRequest, _artifact_ListObjectsResponse, _artifact_ListObjectsRequest__Output, _artifact_ListObjectsResponse__Output>
  Load: MethodDefinition<_artifact_LoadArtifactRequest, _artifact_LoadArtifactResponse, _artifact_LoadArtifactRequest__Output, _artifact_LoadArtifactResponse__Output>
  OpenStream: MethodDefinition<_artifact_OpenStreamRequest, _artifact_OpenStreamResponse, _artifact_OpenStreamRequest__Output, _artifact_OpenStreamResponse__Output>
  Save: MethodDefinition<_artifact_SaveArtifactRequest, _artifact_SaveArtifactResponse, _artifact_SaveArtifactRequest__Output, _artifact_SaveArtifactResponse__Output>
  SaveStream: MethodDefinition<_artifact_SaveStreamArtifactRequest, _artifact_SaveArtifactResponse, _artifact_SaveStreamArtifactRequest__Output, _artifact_SaveArtifactResponse__Output>
}
