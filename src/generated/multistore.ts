import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Artifact as _artifact_Artifact, Artifact__Output as _artifact_Artifact__Output } from './artifact/Artifact.ts';
import type { ArtifactServiceClient as _artifact_ArtifactServiceClient, ArtifactServiceDefinition as _artifact_ArtifactServiceDefinition } from './artifact/ArtifactService.ts';
import type { DeleteArtifactRequest as _artifact_DeleteArtifactRequest, DeleteArtifactRequest__Output as _artifact_DeleteArtifactRequest__Output } from './artifact/DeleteArtifactRequest.ts';
import type { DeleteArtifactResponse as _artifact_DeleteArtifactResponse, DeleteArtifactResponse__Output as _artifact_DeleteArtifactResponse__Output } from './artifact/DeleteArtifactResponse.ts';
import type { GetCapabilitiesRequest as _artifact_GetCapabilitiesRequest, GetCapabilitiesRequest__Output as _artifact_GetCapabilitiesRequest__Output } from './artifact/GetCapabilitiesRequest.ts';
import type { GetCapabilitiesResponse as _artifact_GetCapabilitiesResponse, GetCapabilitiesResponse__Output as _artifact_GetCapabilitiesResponse__Output } from './artifact/GetCapabilitiesResponse.ts';
import type { IsDirectoryRequest as _artifact_IsDirectoryRequest, IsDirectoryRequest__Output as _artifact_IsDirectoryRequest__Output } from './artifact/IsDirectoryRequest.ts';
import type { IsDirectoryResponse as _artifact_IsDirectoryResponse, IsDirectoryResponse__Output as _artifact_IsDirectoryResponse__Output } from './artifact/IsDirectoryResponse.ts';
import type { ListObjectsRequest as _artifact_ListObjectsRequest, ListObjectsRequest__Output as _artifact_ListObjectsRequest__Output } from './artifact/ListObjectsRequest.ts';
import type { ListObjectsResponse as _artifact_ListObjectsResponse, ListObjectsResponse__Output as _artifact_ListObjectsResponse__Output } from './artifact/ListObjectsResponse.ts';
import type { LoadArtifactRequest as _artifact_LoadArtifactRequest, LoadArtifactRequest__Output as _artifact_LoadArtifactRequest__Output } from './artifact/LoadArtifactRequest.ts';
import type { LoadArtifactResponse as _artifact_LoadArtifactResponse, LoadArtifactResponse__Output as _artifact_LoadArtifactResponse__Output } from './artifact/LoadArtifactResponse.ts';
import type { OpenStreamRequest as _artifact_OpenStreamRequest, OpenStreamRequest__Output as _artifact_OpenStreamRequest__Output } from './artifact/OpenStreamRequest.ts';
import type { OpenStreamResponse as _artifact_OpenStreamResponse, OpenStreamResponse__Output as _artifact_OpenStreamResponse__Output } from './artifact/OpenStreamResponse.ts';
import type { PluginArtifact as _artifact_PluginArtifact, PluginArtifact__Output as _artifact_PluginArtifact__Output } from './artifact/PluginArtifact.ts';
import type { SaveArtifactRequest as _artifact_SaveArtifactRequest, SaveArtifactRequest__Output as _artifact_SaveArtifactRequest__Output } from './artifact/SaveArtifactRequest.ts';
import type { SaveArtifactResponse as _artifact_SaveArtifactResponse, SaveArtifactResponse__Output as _artifact_SaveArtifactResponse__Output } from './artifact/SaveArtifactResponse.ts';
import type { SaveStreamArtifactRequest as _artifact_SaveStreamArtifactRequest, SaveStreamArtifactRequest__Output as _artifact_SaveStreamArtifactRequest__Output } from './artifact/SaveStreamArtifactRequest.ts';
import type { AdminClient as _multistore_v1_AdminClient, AdminDefinition as _multistore_v1_AdminDefinition } from './multistore/v1/Admin.ts';
import type { CopyEvent as _multistore_v1_CopyEvent, CopyEvent__Output as _multistore_v1_CopyEvent__Output } from './multistore/v1/CopyEvent.ts';
import type { CopyRequest as _multistore_v1_CopyRequest, CopyRequest__Output as _multistore_v1_CopyRequest__Output } from './multistore/v1/CopyRequest.ts';
import type { HealRequest as _multistore_v1_HealRequest, HealRequest__Output as _multistore_v1_HealRequest__Output } from './multistore/v1/HealRequest.ts';
import type { HealResponse as _multistore_v1_HealResponse, HealResponse__Output as _multistore_v1_HealResponse__Output } from './multistore/v1/HealResponse.ts';
import type { HealedObject as _multistore_v1_HealedObject, HealedObject__Output as _multistore_v1_HealedObject__Output } from './multistore/v1/HealedObject.ts';
import type { StatRequest as _multistore_v1_StatRequest, StatRequest__Output as _multistore_v1_StatRequest__Output } from './multistore/v1/StatRequest.ts';
import type { StatResponse as _multistore_v1_StatResponse, StatResponse__Output as _multistore_v1_StatResponse__Output } from './multistore/v1/StatResponse.ts';
import type { VerifiedObject as _multistore_v1_VerifiedObject, VerifiedObject__Output as _multistore_v1_VerifiedObject__Output } from './multistore/v1/VerifiedObject.ts';
import type { VerifyRequest as _multistore_v1_VerifyRequest, VerifyRequest__Output as _multistore_v1_VerifyRequest__Output } from './multistore/v1/VerifyRequest.ts';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  artifact: {
    Artifact: MessageTypeDefinition<_artifact_Artifact, _artifact_Artifact__Output>
    ArtifactService: SubtypeConstructor<typeof grpc.Client, _artifact_ArtifactServiceClient> & { service: _artifact_ArtifactServiceDefinition }
    DeleteArtifactRequest: MessageTypeDefinition<_artifact_DeleteArtifactRequest, _artifact_DeleteArtifactRequest__Output>
    DeleteArtifactResponse: MessageTypeDefinition<_artifact_DeleteArtifactResponse, _artifact_DeleteArtifactResponse__Output>
    GetCapabilitiesRequest: MessageTypeDefinition<_artifact_GetCapabilitiesRequest, _artifact_GetCapabilitiesRequest__Output>
    GetCapabilitiesResponse: MessageTypeDefinition<_artifact_GetCapabilitiesResponse, _artifact_GetCapabilitiesResponse__Output>
    IsDirectoryRequest: MessageTypeDefinition<_artifact_IsDirectoryRequest, _artifact_IsDirectoryRequest__Output>
    IsDirectoryResponse: MessageTypeDefinition<_artifact_IsDirectoryResponse, _artifact_IsDirectoryResponse__Output>
    ListObjectsRequest: MessageTypeDefinition<_artifact_ListObjectsRequest, _artifact_ListObjectsRequest__Output>
    ListObjectsResponse: MessageTypeDefinition<_artifact_ListObjectsResponse, _artifact_ListObjectsResponse__Output>
    LoadArtifactRequest: MessageTypeDefinition<_artifact_LoadArtifactRequest, _artifact_LoadArtifactRequest__Output>
    LoadArtifactResponse: MessageTypeDefinition<_artifact_LoadArtifactResponse, _artifact_LoadArtifactResponse__Output>
    OpenStreamRequest: MessageTypeDefinition<_artifact_OpenStreamRequest, _artifact_OpenStreamRequest__Output>
    OpenStreamResponse: MessageTypeDefinition<_artifact_OpenStreamResponse, _artifact_OpenStreamResponse__Output>
    PluginArtifact: MessageTypeDefinition<_artifact_PluginArtifact, _artifact_PluginArtifact__Output>
    SaveArtifactRequest: MessageTypeDefinition<_artifact_SaveArtifactRequest, _artifact_SaveArtifactRequest__Output>
    SaveArtifactResponse: MessageTypeDefinition<_artifact_SaveArtifactResponse, _artifact_SaveArtifactResponse__Output>
    SaveStreamArtifactRequest: MessageTypeDefinition<_artifact_SaveStreamArtifactRequest, _artifact_SaveStreamArtifactRequest__Output>
  }
  multistore: {
    v1: {
      Admin: SubtypeConstructor<typeof grpc.Client, _multistore_v1_AdminClient> & { service: _multistore_v1_AdminDefinition }
      CopyEvent: MessageTypeDefinition<_multistore_v1_CopyEvent, _multistore_v1_CopyEvent__Output>
      CopyRequest: MessageTypeDefinition<_multistore_v1_CopyRequest, _multistore_v1_CopyRequest__Output>
      HealRequest: MessageTypeDefinition<_multistore_v1_HealRequest, _multistore_v1_HealRequest__Output>
      HealResponse: MessageTypeDefinition<_multistore_v1_HealResponse, _multistore_v1_HealResponse__Output>
      HealedObject: MessageTypeDefinition<_multistore_v1_HealedObject, _multistore_v1_HealedObject__Output>
      StatRequest: MessageTypeDefinition<_multistore_v1_StatRequest, _multistore_v1_StatRequest__Output>
      StatResponse: MessageTypeDefinition<_multistore_v1_StatResponse, _multistore_v1_StatResponse__Output>
      VerifiedObject: MessageTypeDefinition<_multistore_v1_VerifiedObject, _multistore_v1_VerifiedObject__Output>
      VerifyRequest: MessageTypeDefinition<_multistore_v1_VerifyRequest, _multistore_v1_VerifyRequest__Output>
    }
  }
}

