/**
 * One lease file (lease.ts): JSON naming the owner, its token and renewal
 * count, padded to a fixed size so that a renewal rewrites it whole in one
 * write; created with O_EXCL, rewritten and removed only while it still
 * carries our token.
 */
import { constants } from "node:fs";
import { open, unlink } from "node:fs/promises";
import { openRegular } from "../../src/local-paths.ts";
import { readSmallFile } from "./files.ts";

/** Lease files are written at one fixed size, so a renewal rewrites them whole in one write. */
const LEASE_BYTES = 256;

/** What a lease file says: who holds it, with which token, renewed how often, for how long each time. */
export interface LeaseContent {
  owner: string;
  token: string;
  renewals: number;
  ttlMs: number;
}

/** A lease file's text (at most twice its size: anything longer is not ours). */
export function readLeaseFile(file: string): Promise<string> {
  return readSmallFile(file, LEASE_BYTES * 2);
}

/**
 * Rewrites a lease file with `content` if it still carries our token, through
 * one open handle: if the file is renamed aside and re-created by another
 * process meanwhile, the write lands on our old file, never on theirs.
 */
export async function rewriteIfOurs(file: string, content: LeaseContent): Promise<boolean> {
  const handle = await openRegular(file, constants.O_RDWR).catch(() => undefined);
  if (!handle) return false;
  try {
    const buffer = Buffer.alloc(LEASE_BYTES * 2);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (parseLease(buffer.toString("utf8", 0, bytesRead))?.token !== content.token) return false;
    const { bytesWritten } = await handle.write(encode(content), 0, LEASE_BYTES, 0);
    return bytesWritten === LEASE_BYTES;
  } catch {
    return false;
  } finally {
    await handle.close().catch(() => {});
  }
}

export async function removeIfOurs(file: string, token: string): Promise<void> {
  const current = parseLease(await readLeaseFile(file).catch(() => ""));
  if (current?.token === token) await unlink(file).catch(() => {});
}

export async function writeExclusive(file: string, content: LeaseContent): Promise<void> {
  const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  try {
    await handle.write(encode(content), 0, LEASE_BYTES, 0);
  } finally {
    await handle.close();
  }
}

function encode(content: LeaseContent): Buffer {
  const out = Buffer.alloc(LEASE_BYTES, 0x20);
  out.write(`${JSON.stringify(content)}\n`);
  return out;
}

export function parseLease(text: string): LeaseContent | undefined {
  try {
    const value = JSON.parse(text.trim()) as Partial<LeaseContent>;
    if (typeof value.owner === "string" && typeof value.token === "string" && typeof value.ttlMs === "number")
      return value as LeaseContent;
  } catch {
    // a lease being written, or damaged: not stale by content alone
  }
  return undefined;
}
