/**
 * Encoding for the codec of protobuf.ts: messages written in field-number
 * order, defaults omitted, in one allocation (or into a scratch buffer the
 * caller lends), with bytes fields optionally gathered from pieces.
 */
import {
  EMPTY,
  type FieldDescriptor,
  type Message,
  type MessageDescriptor,
  ProtobufError,
  WIRE_LENGTH,
  wireType,
} from "./protobuf.ts";

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
    for (const value of values)
      total += tagBytes(field) + payloadBytes(field, normalise(field, value) ?? emptyOf(field));
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

/**
 * `message` as proto3 bytes, in one allocation; or into the start of the
 * buffer `scratch` gives for its size, if it gives one (the result is then
 * a view of that buffer).
 */
export function encode(
  descriptor: MessageDescriptor,
  message: Message,
  scratch?: (bytes: number) => Buffer | undefined,
): Buffer {
  const bytes = messageBytes(descriptor, message);
  const writer = new Writer(scratch?.(bytes)?.subarray(0, bytes) ?? Buffer.allocUnsafe(bytes));
  writer.message(descriptor, message);
  return writer.buffer;
}
