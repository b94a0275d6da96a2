// Original file: proto/multistore.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { HealRequest as _multistore_v1_HealRequest, HealRequest__Output as _multistore_v1_HealRequest__Output } from '../../multistore/v1/HealRequest.ts';
import type { HealResponse as _multistore_v1_HealResponse, HealResponse__Output as _multistore_v1_HealResponse__Output } from '../../multistore/v1/HealResponse.ts';
import type { StatRequest as _multistore_v1_StatRequest, StatRequest__Output as _multistore_v1_StatRequest__Output } from '../../multistore/v1/StatRequest.ts';
import type { StatResponse as _multistore_v1_StatResponse, StatResponse__Output as _multistore_v1_StatResponse__Output } from '../../multistore/v1/StatResponse.ts';

export interface AdminClient extends grpc.Client {
  /**
   * Verifies and repairs erasure-coded objects (the local backend); UNIMPLEMENTED for others.
   */
  Heal(argument: _multistore_v1_HealRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_multistore_v1_HealResponse__Output>): grpc.ClientUnaryCall;
  Heal(argument: _multistore_v1_HealRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_multistore_v1_HealResponse__Output>): grpc.ClientUnaryCall;
  Heal(argument: _multistore_v1_HealRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_multistore_v1_HealResponse__Output>): grpc.ClientUnaryCall;
  Heal(argument: _multistore_v1_HealRequest, callback: grpc.requestCallback<_multistore_v1_HealResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Verifies and repairs erasure-coded objects (the local backend); UNIMPLEMENTED for others.
   */
  heal(argument: _multistore_v1_HealRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_multistore_v1_HealResponse__Output>): grpc.ClientUnaryCall;
  heal(argument: _multistore_v1_HealRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_multistore_v1_HealResponse__Output>): grpc.ClientUnaryCall;
  heal(argument: _multistore_v1_HealRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_multistore_v1_HealResponse__Output>): grpc.ClientUnaryCall;
  heal(argument: _multistore_v1_HealRequest, callback: grpc.requestCallback<_multistore_v1_HealResponse__Output>): grpc.ClientUnaryCall;
  
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
  /**
   * Verifies and repairs erasure-coded objects (the local backend); UNIMPLEMENTED for others.
   */
  Heal: grpc.handleUnaryCall<_multistore_v1_HealRequest__Output, _multistore_v1_HealResponse>;
  
  Stat: grpc.handleUnaryCall<_multistore_v1_StatRequest__Output, _multistore_v1_StatResponse>;
  
}

export interface AdminDefinition extends grpc.ServiceDefinition {
  Heal: MethodDefinition<_multistore_v1_HealRequest, _multistore_v1_HealResponse, _multistore_v1_HealRequest__Output, _multistore_v1_HealResponse__Output>
  Stat: MethodDefinition<_multistore_v1_StatRequest, _multistore_v1_StatResponse, _multistore_v1_StatRequest__Output, _multistore_v1_StatResponse__Output>
}
