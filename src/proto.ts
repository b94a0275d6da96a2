/**
 * Argo's `artifact.ArtifactService` and our `multistore.v1.Admin`, as grpc-js
 * service definitions over the codec in protobuf.ts. The tables below are
 * proto/ written out; test/protobuf.test.ts fails if they drift from it. The
 * message types in src/generated/ come from proto/ too (`npm run gen:proto`).
 */
import * as grpc from "@grpc/grpc-js";
import type { ProtoGrpcType as ArtifactProto } from "./generated/artifact.ts";
import type { ProtoGrpcType as AdminProto } from "./generated/multistore.ts";
import { decode, type FieldDescriptor, type MessageDescriptor, type ScalarType } from "./protobuf.ts";
import { encode } from "./protobuf-encode.ts";
import { MiB } from "./units.ts";

function message(
  name: string,
  fields: Array<[string, number, ScalarType | MessageDescriptor, "repeated"?]>,
): MessageDescriptor {
  const list: FieldDescriptor[] = fields.map(([field, number, type, repeated]) => ({
    name: field,
    number,
    type,
    repeated: repeated === "repeated",
  }));
  return { name, fields: list.sort((a, b) => a.number - b.number) };
}

const PluginArtifact = message("artifact.PluginArtifact", [
  ["name", 1, "string"],
  ["configuration", 2, "string"],
  ["connection_timeout_seconds", 3, "int32"],
  ["key", 4, "string"],
]);
const Artifact = message("artifact.Artifact", [
  ["name", 1, "string"],
  ["path", 2, "string"],
  ["mode", 3, "int32"],
  ["from", 4, "string"],
  ["plugin", 5, PluginArtifact],
  ["optional", 6, "bool"],
  ["sub_path", 7, "string"],
  ["recurse_mode", 8, "bool"],
  ["from_expression", 9, "string"],
  ["deleted", 10, "bool"],
]);
const HealedObject = message("multistore.v1.HealedObject", [
  ["key", 1, "string"],
  ["state", 2, "string"],
  ["drives", 3, "int32", "repeated"],
  ["detail", 4, "string"],
]);
const Outcome = (name: string) =>
  message(name, [
    ["success", 1, "bool"],
    ["error", 2, "string"],
  ]);
const ArtifactOnly = (name: string) => message(name, [["artifact", 1, Artifact]]);

/** Every message of proto/, by fully qualified name. */
export const MESSAGES: Readonly<Record<string, MessageDescriptor>> = Object.fromEntries(
  [
    PluginArtifact,
    Artifact,
    message("artifact.LoadArtifactRequest", [
      ["input_artifact", 1, Artifact],
      ["path", 2, "string"],
    ]),
    Outcome("artifact.LoadArtifactResponse"),
    ArtifactOnly("artifact.OpenStreamRequest"),
    message("artifact.OpenStreamResponse", [
      ["data", 1, "bytes"],
      ["is_end", 2, "bool"],
      ["error", 3, "string"],
    ]),
    message("artifact.SaveArtifactRequest", [
      ["path", 1, "string"],
      ["output_artifact", 2, Artifact],
    ]),
    Outcome("artifact.SaveArtifactResponse"),
    ArtifactOnly("artifact.DeleteArtifactRequest"),
    Outcome("artifact.DeleteArtifactResponse"),
    ArtifactOnly("artifact.ListObjectsRequest"),
    message("artifact.ListObjectsResponse", [
      ["objects", 1, "string", "repeated"],
      ["error", 2, "string"],
    ]),
    ArtifactOnly("artifact.IsDirectoryRequest"),
    message("artifact.IsDirectoryResponse", [
      ["is_directory", 1, "bool"],
      ["error", 2, "string"],
    ]),
    message("artifact.SaveStreamArtifactRequest", [
      ["output_artifact", 1, Artifact],
      ["chunk", 2, "bytes"],
    ]),
    message("artifact.GetCapabilitiesRequest", []),
    message("artifact.GetCapabilitiesResponse", [["supports_save_stream", 1, "bool"]]),
    ArtifactOnly("multistore.v1.StatRequest"),
    message("multistore.v1.StatResponse", [
      ["kind", 1, "string"],
      ["size", 2, "int64"],
      ["objects", 3, "int64"],
      ["modified_ms", 4, "int64"],
      ["error", 5, "string"],
      ["sha256", 6, "string"],
    ]),
    message("multistore.v1.HealRequest", [
      ["artifact", 1, Artifact],
      ["all", 2, "bool"],
    ]),
    HealedObject,
    message("multistore.v1.HealResponse", [
      ["objects", 1, HealedObject, "repeated"],
      ["scanned", 2, "int64"],
      ["healthy", 3, "int64"],
      ["healed", 4, "int64"],
      ["unrecoverable", 5, "int64"],
      ["temp_files_removed", 6, "int64"],
      ["error", 7, "string"],
    ]),
    message("multistore.v1.VerifyRequest", [
      ["artifact", 1, Artifact],
      ["all", 2, "bool"],
    ]),
    message("multistore.v1.VerifiedObject", [
      ["key", 1, "string"],
      ["state", 2, "string"],
      ["size", 3, "int64"],
      ["detail", 4, "string"],
      ["error", 5, "string"],
    ]),
    message("multistore.v1.CopyRequest", [
      ["from", 1, Artifact],
      ["to", 2, Artifact],
      ["all", 3, "bool"],
    ]),
    message("multistore.v1.CopyEvent", [
      ["state", 1, "string"],
      ["key", 2, "string"],
      ["bytes", 3, "int64"],
      ["total_objects", 4, "int64"],
      ["total_bytes", 5, "int64"],
      ["detail", 6, "string"],
      ["error", 7, "string"],
    ]),
  ].map((descriptor) => [descriptor.name, descriptor]),
);

/**
 * A message may carry a callback run once its bytes have been copied into
 * the wire form (OpenStream gives a frame's chunk back to its source then).
 * Run by our serializer itself, so it holds whenever grpc-js serializes.
 */
export const ONCE_ENCODED = Symbol("multistore.onceEncoded");

/**
 * Server-streaming responses (OpenStream frames) are encoded into this one
 * buffer, reused for every message of every call: grpc-js copies a
 * serialized message into its own framed buffer before its serializeMessage
 * returns (grpc-js 1.14, server-interceptors.js), so the scratch is free
 * again at once. It saves a frame-sized allocation per frame, garbage that
 * drives the collector. test/server.test.ts streams several calls at once
 * and checks every byte, which fails if grpc-js ever keeps the buffer. It
 * grows to the largest message, up to what Argo's client accepts.
 */
let streamScratch = Buffer.alloc(0);
const scratchFor = (bytes: number): Buffer | undefined => {
  if (bytes > ARGO_MAX_MESSAGE_BYTES) return undefined;
  if (streamScratch.length < bytes) streamScratch = Buffer.allocUnsafeSlow(bytes);
  return streamScratch;
};

type Streaming = "unary" | "client" | "server";
type MethodTable = Record<string, [request: string, response: string, streaming: Streaming]>;

/** What the `service` block of a .proto says, as grpc-js wants it. */
export function serviceDefinition(service: string, methods: MethodTable): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<Record<string, unknown>, Record<string, unknown>>> = {};
  for (const [method, [request, response, streaming]] of Object.entries(methods)) {
    const requestType = MESSAGES[request] as MessageDescriptor;
    const responseType = MESSAGES[response] as MessageDescriptor;
    definition[method] = {
      path: `/${service}/${method}`,
      requestStream: streaming === "client",
      responseStream: streaming === "server",
      requestSerialize: (value: Record<string, unknown>) => encode(requestType, value),
      requestDeserialize: (bytes: Buffer) => decode(requestType, bytes),
      responseSerialize: (value: Record<string, unknown> & { [ONCE_ENCODED]?: () => void }) => {
        const bytes = encode(responseType, value, streaming === "server" ? scratchFor : undefined);
        value[ONCE_ENCODED]?.();
        return bytes;
      },
      responseDeserialize: (bytes: Buffer) => decode(responseType, bytes),
      originalName: method.charAt(0).toLowerCase() + method.slice(1),
    };
  }
  return definition;
}

export const ARTIFACT_SERVICE = serviceDefinition("artifact.ArtifactService", {
  Load: ["artifact.LoadArtifactRequest", "artifact.LoadArtifactResponse", "unary"],
  OpenStream: ["artifact.OpenStreamRequest", "artifact.OpenStreamResponse", "server"],
  Save: ["artifact.SaveArtifactRequest", "artifact.SaveArtifactResponse", "unary"],
  Delete: ["artifact.DeleteArtifactRequest", "artifact.DeleteArtifactResponse", "unary"],
  ListObjects: ["artifact.ListObjectsRequest", "artifact.ListObjectsResponse", "unary"],
  IsDirectory: ["artifact.IsDirectoryRequest", "artifact.IsDirectoryResponse", "unary"],
  SaveStream: ["artifact.SaveStreamArtifactRequest", "artifact.SaveArtifactResponse", "client"],
  GetCapabilities: ["artifact.GetCapabilitiesRequest", "artifact.GetCapabilitiesResponse", "unary"],
});

export const ADMIN_SERVICE = serviceDefinition("multistore.v1.Admin", {
  Stat: ["multistore.v1.StatRequest", "multistore.v1.StatResponse", "unary"],
  Heal: ["multistore.v1.HealRequest", "multistore.v1.HealResponse", "unary"],
  Verify: ["multistore.v1.VerifyRequest", "multistore.v1.VerifiedObject", "server"],
  Copy: ["multistore.v1.CopyRequest", "multistore.v1.CopyEvent", "server"],
});

/** Argo's `artifact.ArtifactService`, shaped as `grpc.loadPackageDefinition` would give it. */
export const artifactProto = {
  artifact: { ArtifactService: grpc.makeGenericClientConstructor(ARTIFACT_SERVICE, "artifact.ArtifactService") },
} as unknown as ArtifactProto;
/** Our own `multistore.v1.Admin` service, served on the same socket for the CLI (Argo never calls it). */
export const adminProto = {
  multistore: { v1: { Admin: grpc.makeGenericClientConstructor(ADMIN_SERVICE, "multistore.v1.Admin") } },
} as unknown as AdminProto;

/** The largest message Argo's Go client accepts: grpc-go's default receive limit. */
export const ARGO_MAX_MESSAGE_BYTES = 4 * MiB;

/** Bytes `value` takes on the wire as a string field (or one entry of a repeated one): tag, length, UTF-8 bytes. */
export function repeatedStringBytes(value: string): number {
  const length = Buffer.byteLength(value);
  let lengthBytes = 1;
  for (let rest = length >>> 7; rest > 0; rest >>>= 7) lengthBytes++;
  return 1 + lengthBytes + length;
}
