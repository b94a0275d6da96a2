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
 * defaults omitted, repeated int32 packed: what protoc's encoders write
 * (protobuf-encode.ts). This file holds the wire format and the decoder.
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

export type Message = Record<string, unknown>;

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH = 2;
export const WIRE_FIXED32 = 5;

export const EMPTY = Buffer.alloc(0);

export class ProtobufError extends Error {
  override name = "ProtobufError";
}

/** The wire type one value of `field` is written with (a packed repeated int32 goes as WIRE_LENGTH). */
export function wireType(field: FieldDescriptor): number {
  return field.type === "bool" || field.type === "int32" || field.type === "int64" ? WIRE_VARINT : WIRE_LENGTH;
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
    } else if (wire === WIRE_FIXED32) this.offset += 4;
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
