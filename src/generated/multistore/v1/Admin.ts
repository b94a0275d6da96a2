// Original file: proto/multistore.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { StatRequest as _multistore_v1_StatRequest, StatRequest__Output as _multistore_v1_StatRequest__Output } from '../../multistore/v1/StatRequest.ts';
import type { StatResponse as _multistore_v1_StatResponse, StatResponse__Output as _multistore_v1_StatResponse__Output } from '../../multistore/v1/StatResponse.ts';

export interface AdminClient extends grpc.Client {
  Stat(argument: _multistore_v1_StatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_multistore_v1_StatResponse__Output>): grpc.ClientUnaryCall;
  Stat(argument: _multistore_v1_StatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_multistore_v1_StatResponse__Output>): grpc.ClientUnaryCall;
  Stat(argument: _multistore_v1_StatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_multistore_v1_StatResponse__Output>): grpc.ClientUnaryCall;
  Stat(argument: _multistore_v1_StatRequest, callback: grpc.requestCallback<_multistore_v1_StatResponse__Output>): grpc.ClientUnaryCall;
  stat(argument: _multistore_v1_StatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_multistore_v1_StatResponse__Output>): grpc.ClientUnaryCall;
  stat(argument: _multistore_v1_StatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_multistore_v1_StatResponse__Output>): grpc.ClientUnaryCall;
  stat(argument: _multistore_v1_StatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_multistore_v1_StatResponse__Output>): grpc.ClientUnaryCall;
  stat(argument: _multistore_v1_StatRequest, callback: grpc.requestCallback<_multistore_v1_StatResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface AdminHandlers extends grpc.UntypedServiceImplementation {
  Stat: grpc.handleUnaryCall<_multistore_v1_StatRequest__Output, _multistore_v1_StatResponse>;
  
}

export interface AdminDefinition extends grpc.ServiceDefinition {
  Stat: MethodDefinition<_multistore_v1_StatRequest, _multistore_v1_StatResponse, _multistore_v1_StatRequest__Output, _multistore_v1_StatResponse__Output>
}
