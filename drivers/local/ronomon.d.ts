/** Types for @ronomon/reed-solomon 6 (a native N-API addon without its own). */
declare module "@ronomon/reed-solomon" {
  export interface Context {
    readonly k: number;
    readonly m: number;
  }
  export const MAX_K: number;
  export const MAX_M: number;
  export function create(k: number, m: number): Context;
  /**
   * Computes the `targets` shards (bit i = shard i; data shards 0..k-1 live in
   * `buffer`, parity shards k..k+m-1 in `parity`) from the `sources` shards.
   */
  export function encode(
    context: Context,
    sources: number,
    targets: number,
    buffer: Buffer,
    bufferOffset: number,
    bufferSize: number,
    parity: Buffer,
    parityOffset: number,
    paritySize: number,
    callback: (error?: Error) => void,
  ): void;
}
