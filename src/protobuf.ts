/**
 * A proto3 codec for the few flat messages this plugin speaks, driven by
 * descriptor tables (src/proto.ts). It replaces protobufjs and proto-loader at
 * run time: those two cost about 12 MiB of an idle plugin's RSS and 100 ms of
 * its start-up, to parse 170 lines of .proto and encode strings, bools,
 * integers and bytes. test/protobuf.test.ts holds the tables to proto/ and
 * every message's bytes to protobufjs, in both directions.
 *
 * Decoded messages look as proto-loader gave them with `keepCase`,
 * `defaults` and `longs: String`: every field present, absent scalars at their
 * default, absent messages null, int64 as a decimal string, bytes as a Buffer
 * sharing the received one. Encoding follows protobufjs's `fromObject`
 * leniency for the values our handlers pass (an int64 as number, string or
 * bigint; a missing field as its default) and writes fields in number order,
 * defaults omitted, repeated int32 packed: what protoc's encoders write.
 */

export type ScalarType = "string" | "bytes" | "bool" | "int32" | "int64";

export interface FieldDescriptor {
  readonly name: string;
  readonly number: number;
  readonly type: ScalarType | MessageDescriptor;
  readonly repeated?: boolean;
}

export interface MessageDescriptor {
  /** Fully qualified, e.g. `artifact.Artifact`. */
  readonly name: string;
  /** In field-number order. */
  readonly fields: readonly FieldDescriptor[];
}

type Message = Record<string, unknown>;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

const EMPTY = Buffer.alloc(0);

export class ProtobufError extends Error {
  override name = "ProtobufError";
}

// ---- encoding ----------------------------------------------------------------

function varintBytes(value: number): number {
  if (value < 0) return 10;
  let bytes = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    bytes++;
  }
  return bytes;
}

function bigVarintBytes(value: bigint): number {
  let rest = BigInt.asUintN(64, value);
  let bytes = 1;
  while (rest >= 0x80n) {
    rest >>= 7n;
    bytes++;
  }
  return bytes;
}

function int64Of(value: unknown, field: FieldDescriptor): bigint {
  if (typeof value === "bigint") return BigInt.asIntN(64, value);
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^-?\d+$/.test(value)) return BigInt.asIntN(64, BigInt(value));
  throw new ProtobufError(`${field.name}: ${String(value)} is not an int64`);
}

/**
 * A bytes value given as pieces, written one after another: an OpenStream
 * frame gathered from a stream's chunks is encoded without joining them first.
 */
export class GatheredBytes {
  readonly parts: readonly Uint8Array[];
  readonly length: number;
  constructor(parts: readonly Uint8Array[]) {
    this.parts = parts;
    this.length = parts.reduce((sum, part) => sum + part.length, 0);
  }
}

function bytesOf(value: unknown, field: FieldDescriptor): Uint8Array | GatheredBytes {
  if (value instanceof Uint8Array || value instanceof GatheredBytes) return value;
  throw new ProtobufError(`${field.name}: expected bytes, got ${typeof value}`);
}

/** One field value, normalised for writing; undefined when proto3 omits it. */
function normalise(field: FieldDescriptor, value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  switch (field.type) {
    case "string": {
      const text = String(value);
      return text === "" ? undefined : text;
    }
    case "bytes": {
      const bytes = bytesOf(value, field);
      return bytes.length === 0 ? undefined : bytes;
    }
    case "bool":
      return value ? true : undefined;
    case "int32": {
      const number = Number(value) | 0;
      return number === 0 ? undefined : number;
    }
    case "int64": {
      const number = int64Of(value, field);
      return number === 0n ? undefined : number;
    }
    default:
      return value;
  }
}

/** Bytes of one value's payload, without its tag. */
function payloadBytes(field: FieldDescriptor, value: unknown): number {
  switch (field.type) {
    case "string": {
      const length = Buffer.byteLength(value as string);
      return varintBytes(length) + length;
    }
    case "bytes": {
      const length = (value as Uint8Array | GatheredBytes).length;
      return varintBytes(length) + length;
    }
    case "bool":
      return 1;
    case "int32":
      return varintBytes(value as number);
    case "int64":
      return bigVarintBytes(value as bigint);
    default: {
      const length = messageBytes(field.type, value as Message);
      return varintBytes(length) + length;
    }
  }
}

function tagBytes(field: FieldDescriptor): number {
  return varintBytes(field.number << 3);
}

function messageBytes(descriptor: MessageDescriptor, message: Message): number {
  let total = 0;
  for (const field of descriptor.fields) {
    const raw = message[field.name];
    if (!field.repeated) {
      const value = normalise(field, raw);
      if (value !== undefined) total += tagBytes(field) + payloadBytes(field, value);
      continue;
    }
    const values = (raw ?? []) as unknown[];
    if (field.type === "int32") {
      if (values.length === 0) continue;
      let packed = 0;
      for (const value of values) packed += varintBytes(Number(value) | 0);
      total += tagBytes(field) + varintBytes(packed) + packed;
      continue;
    }
    for (const value of values) total += tagBytes(field) + payloadBytes(field, normalise(field, value) ?? emptyOf(field));
  }
  return total;
}

/** A repeated string or message entry is written even when empty. */
function emptyOf(field: FieldDescriptor): unknown {
  return field.type === "string" ? "" : field.type === "bytes" ? EMPTY : {};
}

class Writer {
  offset = 0;
  readonly buffer: Buffer;
  constructor(buffer: Buffer) {
    this.buffer = buffer;
  }

  varint(value: number): void {
    if (value < 0) {
      this.bigVarint(BigInt(value));
      return;
    }
    while (value >= 0x80) {
      this.buffer[this.offset++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    this.buffer[this.offset++] = value;
  }

  bigVarint(value: bigint): void {
    let rest = BigInt.asUintN(64, value);
    while (rest >= 0x80n) {
      this.buffer[this.offset++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    this.buffer[this.offset++] = Number(rest);
  }

  field(field: FieldDescriptor, value: unknown): void {
    switch (field.type) {
      case "string": {
        const text = value as string;
        this.varint(Buffer.byteLength(text));
        this.offset += this.buffer.write(text, this.offset, "utf8");
        return;
      }
      case "bytes": {
        const bytes = value as Uint8Array | GatheredBytes;
        this.varint(bytes.length);
        for (const part of bytes instanceof GatheredBytes ? bytes.parts : [bytes]) {
          this.buffer.set(part, this.offset);
          this.offset += part.length;
        }
        return;
      }
      case "bool":
        this.buffer[this.offset++] = 1;
        return;
      case "int32":
        this.varint(value as number);
        return;
      case "int64":
        this.bigVarint(value as bigint);
        return;
      default:
        this.varint(messageBytes(field.type, value as Message));
        this.message(field.type, value as Message);
    }
  }

  message(descriptor: MessageDescriptor, message: Message): void {
    for (const field of descriptor.fields) {
      const raw = message[field.name];
      if (!field.repeated) {
        const value = normalise(field, raw);
        if (value === undefined) continue;
        this.varint((field.number << 3) | wireType(field));
        this.field(field, value);
        continue;
      }
      const values = (raw ?? []) as unknown[];
      if (field.type === "int32") {
        if (values.length === 0) continue;
        const numbers = values.map((value) => Number(value) | 0);
        this.varint((field.number << 3) | WIRE_LENGTH);
        this.varint(numbers.reduce((sum, number) => sum + varintBytes(number), 0));
        for (const number of numbers) this.varint(number);
        continue;
      }
      for (const value of values) {
        this.varint((field.number << 3) | wireType(field));
        this.field(field, normalise(field, value) ?? emptyOf(field));
      }
    }
  }
}

function wireType(field: FieldDescriptor): number {
  return field.type === "bool" || field.type === "int32" || field.type === "int64" ? WIRE_VARINT : WIRE_LENGTH;
}

/**
 * `message` as proto3 bytes, in one allocation; or into the start of the
 * buffer `scratch` gives for its size, if it gives one (the result is then
 * a view of that buffer).
 */
export function encode(descriptor: MessageDescriptor, message: Message, scratch?: (bytes: number) => Buffer | undefined): Buffer {
  const bytes = messageBytes(descriptor, message);
  const writer = new Writer(scratch?.(bytes)?.subarray(0, bytes) ?? Buffer.allocUnsafe(bytes));
  writer.message(descriptor, message);
  return writer.buffer;
}

// ---- decoding ----------------------------------------------------------------

class Reader {
  offset: number;
  readonly buffer: Buffer;
  readonly end: number;
  constructor(buffer: Buffer, start: number, end: number) {
    this.buffer = buffer;
    this.offset = start;
    this.end = end;
  }

  bigVarint(): bigint {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.offset >= this.end) throw new ProtobufError("truncated varint");
      const byte = this.buffer[this.offset++] as number;
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt.asUintN(64, value);
    }
    throw new ProtobufError("varint longer than 10 bytes");
  }

  /** A tag or a length: a varint of at most 32 bits. */
  varint(): number {
    const start = this.offset;
    let value = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (this.offset >= this.end) throw new ProtobufError("truncated varint");
      const byte = this.buffer[this.offset++] as number;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    this.offset = start;
    const wide = this.bigVarint();
    if (wide >= 2n ** 32n) throw new ProtobufError("tag or length over 32 bits");
    return Number(wide);
  }

  length(): number {
    const length = this.varint();
    if (length > this.end - this.offset) throw new ProtobufError("length past the end of the message");
    return length;
  }

  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.bigVarint();
    else if (wire === WIRE_FIXED64) this.offset += 8;
    else if (wire === WIRE_LENGTH) {
      const length = this.length(); // before reading offset: length() moves it
      this.offset += length;
    }
    else if (wire === WIRE_FIXED32) this.offset += 4;
    else throw new ProtobufError(`unsupported wire type ${wire}`);
    if (this.offset > this.end) throw new ProtobufError("field past the end of the message");
  }
}

function defaultOf(field: FieldDescriptor): unknown {
  if (field.repeated) return [];
  switch (field.type) {
    case "string":
      return "";
    case "bytes":
      return EMPTY;
    case "bool":
      return false;
    case "int32":
      return 0;
    case "int64":
      return "0";
    default:
      return null;
  }
}

function readValue(reader: Reader, field: FieldDescriptor): unknown {
  switch (field.type) {
    case "string": {
      const length = reader.length();
      reader.offset += length;
      return reader.buffer.toString("utf8", reader.offset - length, reader.offset);
    }
    case "bytes": {
      const length = reader.length();
      reader.offset += length;
      return reader.buffer.subarray(reader.offset - length, reader.offset);
    }
    case "bool":
      return reader.bigVarint() !== 0n;
    case "int32":
      return Number(BigInt.asIntN(32, reader.bigVarint()));
    case "int64":
      return BigInt.asIntN(64, reader.bigVarint()).toString();
    default: {
      const length = reader.length();
      reader.offset += length;
      return readMessage(new Reader(reader.buffer, reader.offset - length, reader.offset), field.type);
    }
  }
}

function readMessage(reader: Reader, descriptor: MessageDescriptor): Message {
  const message: Message = {};
  for (const field of descriptor.fields) message[field.name] = defaultOf(field);
  while (reader.offset < reader.end) {
    const tag = reader.varint();
    const number = Math.floor(tag / 8);
    const wire = tag & 7;
    const field = descriptor.fields.find((candidate) => candidate.number === number);
    if (!field) {
      reader.skip(wire);
      continue;
    }
    if (field.repeated && field.type === "int32" && wire === WIRE_LENGTH) {
      const length = reader.length();
      const end = reader.offset + length;
      const values = message[field.name] as unknown[];
      while (reader.offset < end) values.push(readValue(reader, field));
      if (reader.offset !== end) throw new ProtobufError(`${field.name}: packed field overruns its length`);
      continue;
    }
    if (wire !== wireType(field)) throw new ProtobufError(`${descriptor.name}.${field.name}: wire type ${wire}`);
    const value = readValue(reader, field);
    if (field.repeated) (message[field.name] as unknown[]).push(value);
    else message[field.name] = value;
  }
  return message;
}

/** Decodes proto3 bytes; unknown fields are skipped, as proto3 requires. */
export function decode(descriptor: MessageDescriptor, bytes: Buffer): Message {
  return readMessage(new Reader(bytes, 0, bytes.length), descriptor);
}
