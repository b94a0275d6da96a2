// Original file: proto/multistore.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CopyEvent as _multistore_v1_CopyEvent, CopyEvent__Output as _multistore_v1_CopyEvent__Output } from '../../multistore/v1/CopyEvent.ts';
import type { CopyRequest as _multistore_v1_CopyRequest, CopyRequest__Output as _multistore_v1_CopyRequest__Output } from '../../multistore/v1/CopyRequest.ts';
import type { HealRequest as _multistore_v1_HealRequest, HealRequest__Output as _multistore_v1_HealRequest__Output } from '../../multistore/v1/HealRequest.ts';
import type { HealResponse as _multistore_v1_HealResponse, HealResponse__Output as _multistore_v1_HealResponse__Output } from '../../multistore/v1/HealResponse.ts';
import type { StatRequest as _multistore_v1_StatRequest, StatRequest__Output as _multistore_v1_StatRequest__Output } from '../../multistore/v1/StatRequest.ts';
import type { StatResponse as _multistore_v1_StatResponse, StatResponse__Output as _multistore_v1_StatResponse__Output } from '../../multistore/v1/StatResponse.ts';
import type { VerifiedObject as _multistore_v1_VerifiedObject, VerifiedObject__Output as _multistore_v1_VerifiedObject__Output } from '../../multistore/v1/VerifiedObject.ts';
import type { VerifyRequest as _multistore_v1_VerifyRequest, VerifyRequest__Output as _multistore_v1_VerifyRequest__Output } from '../../multistore/v1/VerifyRequest.ts';

export interface AdminClient extends grpc.Client {
  /**
   * Copies objects from one store to another through their drivers, skipping what is there already.
   */
  Copy(argument: _multistore_v1_CopyRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_multistore_v1_CopyEvent__Output>;
  Copy(argument: _multistore_v1_CopyRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_multistore_v1_CopyEvent__Output>;
  /**
   * Copies objects from one store to another through their drivers, skipping what is there already.
   */
  copy(argument: _multistore_v1_CopyRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_multistore_v1_CopyEvent__Output>;
  copy(argument: _multistore_v1_CopyRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_multistore_v1_CopyEvent__Output>;
  
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
  
  /**
   * Reads objects whole through their driver, which checks each against its recorded SHA-256.
   */
  Verify(argument: _multistore_v1_VerifyRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_multistore_v1_VerifiedObject__Output>;
  Verify(argument: _multistore_v1_VerifyRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_multistore_v1_VerifiedObject__Output>;
  /**
   * Reads objects whole through their driver, which checks each against its recorded SHA-256.
   */
  verify(argument: _multistore_v1_VerifyRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_multistore_v1_VerifiedObject__Output>;
  verify(argument: _multistore_v1_VerifyRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_multistore_v1_VerifiedObject__Output>;
  
}

export interface AdminHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Copies objects from one store to another through their drivers, skipping what is there already.
   */
  Copy: grpc.handleServerStreamingCall<_multistore_v1_CopyRequest__Output, _multistore_v1_CopyEvent>;
  
  /**
   * Verifies and repairs erasure-coded objects (the local backend); UNIMPLEMENTED for others.
   */
  Heal: grpc.handleUnaryCall<_multistore_v1_HealRequest__Output, _multistore_v1_HealResponse>;
  
  Stat: grpc.handleUnaryCall<_multistore_v1_StatRequest__Output, _multistore_v1_StatResponse>;
  
  /**
   * Reads objects whole through their driver, which checks each against its recorded SHA-256.
   */
  Verify: grpc.handleServerStreamingCall<_multistore_v1_VerifyRequest__Output, _multistore_v1_VerifiedObject>;
  
}

export interface AdminDefinition extends grpc.ServiceDefinition {
  Copy: MethodDefinition<_multistore_v1_CopyRequest, _multistore_v1_CopyEvent, _multistore_v1_CopyRequest__Output, _multistore_v1_CopyEvent__Output>
  Heal: MethodDefinition<_multistore_v1_HealRequest, _multistore_v1_HealResponse, _multistore_v1_HealRequest__Output, _multistore_v1_HealResponse__Output>
  Stat: MethodDefinition<_multistore_v1_StatRequest, _multistore_v1_StatResponse, _multistore_v1_StatRequest__Output, _multistore_v1_StatResponse__Output>
  Verify: MethodDefinition<_multistore_v1_VerifyRequest, _multistore_v1_VerifiedObject, _multistore_v1_VerifyRequest__Output, _multistore_v1_VerifiedObject__Output>
}
