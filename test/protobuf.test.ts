/**
 * The run-time codec (src/protobuf.ts, tables in src/proto.ts) against
 * protobufjs reading proto/ itself: the tables say what the .proto files say,
 * and every message's bytes agree in both directions, field by field.
 */
import { loadSync } from "@grpc/proto-loader";
import protobufjs from "protobufjs";
import { describe, expect, it } from "vitest";
import { ADMIN_SERVICE, ARTIFACT_SERVICE, MESSAGES } from "../src/proto.ts";
import { decode, type MessageDescriptor, ProtobufError } from "../src/protobuf.ts";
import { encode, GatheredBytes } from "../src/protobuf-encode.ts";

const root = new protobufjs.Root().loadSync(["proto/artifact.proto", "proto/multistore.proto"], { keepCase: true });
root.resolveAll();
const TO_OBJECT = { longs: String, defaults: true, arrays: true } as const;

function protobufjsType(name: string): protobufjs.Type {
  return root.lookupType(name);
}

function allTypes(namespace: protobufjs.NamespaceBase): protobufjs.Type[] {
  return namespace.nestedArray.flatMap((nested) =>
    nested instanceof protobufjs.Type ? [nested] : nested instanceof protobufjs.Namespace ? allTypes(nested) : [],
  );
}

/** A deterministic generator, so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const STRINGS = ["", "a", "wf/step/out.tgz", "ünïcødé ✓ 𝄞", "x".repeat(300), "line\nbreak"];
const INT64 = ["0", "1", "-1", "127", "128", "9223372036854775807", "-9223372036854775808", "4294967296"];
const INT32 = [0, 1, -1, 127, 128, 300, 2147483647, -2147483648];

function sample(descriptor: MessageDescriptor, next: () => number, depth = 0): Record<string, unknown> {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
  const message: Record<string, unknown> = {};
  for (const field of descriptor.fields) {
    const one = (): unknown => {
      switch (field.type) {
        case "string":
          return pick(STRINGS);
        case "bytes":
          return Buffer.from(Array.from({ length: pick([0, 1, 5, 200]) }, () => Math.floor(next() * 256)));
        case "bool":
          return next() < 0.5;
        case "int32":
          return pick(INT32);
        case "int64":
          return pick(INT64);
        default:
          return depth < 3 ? sample(field.type, next, depth + 1) : {};
      }
    };
    if (field.repeated) message[field.name] = Array.from({ length: pick([0, 1, 3]) }, one);
    else if (next() < 0.8) message[field.name] = one();
  }
  return message;
}

/**
 * `message` without scalars at their default. protobufjs writes a field that is
 * set even when it holds the default; proto3 encoders (protoc's, ours) omit it.
 */
function withoutDefaults(descriptor: MessageDescriptor, message: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of descriptor.fields) {
    const value = message[field.name];
    if (value === undefined) continue;
    if (typeof field.type !== "string") {
      out[field.name] = field.repeated
        ? (value as Record<string, unknown>[]).map((entry) => withoutDefaults(field.type as MessageDescriptor, entry))
        : withoutDefaults(field.type, value as Record<string, unknown>);
    } else if (
      field.repeated ||
      !(
        value === "" ||
        value === 0 ||
        value === "0" ||
        value === false ||
        (value instanceof Uint8Array && value.length === 0)
      )
    ) {
      out[field.name] = value;
    }
  }
  return out;
}

/** protobufjs's view of `bytes`, with Buffers as plain arrays for comparison. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return [...value];
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, plain(entry)]));
  return value;
}

describe("protobuf codec", () => {
  it("has a table for every message of proto/, with the same fields, numbers, types and labels", () => {
    const types = allTypes(root);
    expect(Object.keys(MESSAGES).sort()).toEqual(types.map((type) => type.fullName.slice(1)).sort());
    for (const type of types) {
      const descriptor = MESSAGES[type.fullName.slice(1)] as MessageDescriptor;
      const ours = descriptor.fields.map((field) => [
        field.name,
        field.number,
        typeof field.type === "string" ? field.type : field.type.name,
        Boolean(field.repeated),
      ]);
      const theirs = type.fieldsArray
        .map((field) => [
          field.name,
          field.id,
          field.resolvedType ? field.resolvedType.fullName.slice(1) : field.type,
          field.repeated,
        ])
        .sort((a, b) => (a[1] as number) - (b[1] as number));
      expect(ours, type.fullName).toEqual(theirs);
    }
  });

  it("serves every method of both services, with its paths and streaming", () => {
    const definition = loadSync(["artifact.proto", "multistore.proto"], { keepCase: true, includeDirs: ["proto"] });
    for (const [service, ours] of [
      ["artifact.ArtifactService", ARTIFACT_SERVICE],
      ["multistore.v1.Admin", ADMIN_SERVICE],
    ] as const) {
      const theirs = definition[service] as Record<
        string,
        { path: string; requestStream: boolean; responseStream: boolean; originalName: string }
      >;
      const shape = (methods: typeof theirs) =>
        Object.entries(methods).map(([name, method]) => [
          name,
          method.path,
          method.requestStream,
          method.responseStream,
          method.originalName,
        ]);
      expect(shape(ours as unknown as typeof theirs), service).toEqual(shape(theirs));
    }
  });

  it("writes the bytes protobufjs writes, and reads them back as protobufjs reads them, for every message", () => {
    const next = random(13);
    for (const [name, descriptor] of Object.entries(MESSAGES)) {
      const type = protobufjsType(name);
      for (let round = 0; round < 200; round++) {
        const message = sample(descriptor, next);
        const ours = encode(descriptor, message);
        const theirs = Buffer.from(type.encode(type.fromObject(withoutDefaults(descriptor, message))).finish());
        expect(ours.toString("hex"), `${name} ${JSON.stringify(plain(message))}`).toBe(theirs.toString("hex"));
        const expected = plain(type.toObject(type.decode(theirs), TO_OBJECT));
        expect(plain(decode(descriptor, theirs)), name).toEqual(expected);
      }
    }
  });

  it("fills in proto3 defaults, and null for an absent message, as proto-loader's `defaults` did", () => {
    const request = decode(MESSAGES["artifact.LoadArtifactRequest"] as MessageDescriptor, Buffer.alloc(0));
    expect(request).toEqual({ input_artifact: null, path: "" });
    const stat = decode(MESSAGES["multistore.v1.StatResponse"] as MessageDescriptor, Buffer.alloc(0));
    expect(stat).toEqual({ kind: "", size: "0", objects: "0", modified_ms: "0", error: "", sha256: "" });
    const frame = decode(MESSAGES["artifact.OpenStreamResponse"] as MessageDescriptor, Buffer.alloc(0));
    expect(Buffer.isBuffer(frame["data"]) && (frame["data"] as Buffer).length).toBe(0);
  });

  it("skips fields it does not know, of every wire type, as proto3 requires", () => {
    const type = protobufjsType("artifact.PluginArtifact");
    const known = Buffer.from(type.encode(type.fromObject({ name: "p", key: "k" })).finish());
    const writer = protobufjs.Writer.create();
    writer.uint32((20 << 3) | 0).uint64("18446744073709551615");
    writer.uint32((21 << 3) | 1).fixed64(7);
    writer.uint32((22 << 3) | 2).bytes(Buffer.from("ignored"));
    writer.uint32((23 << 3) | 5).fixed32(9);
    const bytes = Buffer.concat([Buffer.from(writer.finish()), known]);
    expect(decode(MESSAGES["artifact.PluginArtifact"] as MessageDescriptor, bytes)).toEqual({
      name: "p",
      configuration: "",
      connection_timeout_seconds: 0,
      key: "k",
    });
  });

  it("reads a repeated int32 packed or not, as proto3 readers must", () => {
    const healed = MESSAGES["multistore.v1.HealedObject"] as MessageDescriptor;
    const unpacked = Buffer.from([0x18, 0x01, 0x18, 0x05, 0x1a, 0x02, 0x02, 0x03]);
    expect(decode(healed, unpacked)["drives"]).toEqual([1, 5, 2, 3]);
  });

  it("refuses a truncated or malformed message instead of reading past it", () => {
    const artifact = MESSAGES["artifact.Artifact"] as MessageDescriptor;
    // One field, so that every cut falls inside it (a cut between fields is a valid, shorter message).
    const whole = encode(artifact, { plugin: { configuration: "c".repeat(300) } });
    for (let cut = 1; cut < whole.length; cut++) {
      expect(() => decode(artifact, whole.subarray(0, cut)), `cut at ${cut}`).toThrow(ProtobufError);
    }
    expect(() => decode(artifact, Buffer.from([0x0b]))).toThrow(/wire type/); // a group start
    expect(() => decode(artifact, Buffer.from([0x08, 0x01]))).toThrow(/wire type/); // name as a varint
    expect(() => decode(artifact, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x7f]))).toThrow(ProtobufError);
  });

  it("takes an int64 as number, string or bigint, and refuses anything else", () => {
    const stat = MESSAGES["multistore.v1.StatResponse"] as MessageDescriptor;
    const fromNumber = encode(stat, { size: 5_000_000_000 });
    expect(encode(stat, { size: "5000000000" })).toEqual(fromNumber);
    expect(encode(stat, { size: 5_000_000_000n })).toEqual(fromNumber);
    expect(decode(stat, fromNumber)["size"]).toBe("5000000000");
    expect(() => encode(stat, { size: 1.5 })).toThrow(/size/);
    expect(() => encode(stat, { size: "12abc" })).toThrow(/size/);
  });

  it("writes a bytes field given as gathered pieces as the joined bytes, also into a scratch buffer", () => {
    const frame = MESSAGES["artifact.OpenStreamResponse"] as MessageDescriptor;
    const pieces = [Buffer.from("first "), Buffer.alloc(0), Buffer.alloc(300, 7), Buffer.from(" last")];
    const joined = encode(frame, { data: Buffer.concat(pieces) });
    expect(encode(frame, { data: new GatheredBytes(pieces) })).toEqual(joined);
    const scratch = Buffer.alloc(1024, 0xee);
    const scratchFor = (bytes: number) => (bytes <= scratch.length ? scratch : undefined);
    const written = encode(frame, { data: new GatheredBytes(pieces) }, scratchFor);
    expect(written).toEqual(joined);
    expect(written.buffer).toBe(scratch.buffer); // a view of the scratch, not a new allocation
    expect(encode(frame, { data: Buffer.alloc(2000, 1) }, scratchFor).buffer).not.toBe(scratch.buffer); // none given: its own
    expect(encode(frame, { data: new GatheredBytes([]) })).toEqual(encode(frame, {})); // empty: omitted, as proto3 does
  });
});
