// Original file: proto/multistore.proto


export interface HealedObject {
  'key'?: (string);
  /**
   * "healthy", "healed", "unrecoverable", "gone" or "rewritten" (a newer write replaced it meanwhile).
   */
  'state'?: (string);
  /**
   * Drives (by position in the configuration) that received rebuilt shards.
   */
  'drives'?: (number)[];
  'detail'?: (string);
}

export interface HealedObject__Output {
  'key': (string);
  /**
   * "healthy", "healed", "unrecoverable", "gone" or "rewritten" (a newer write replaced it meanwhile).
   */
  'state': (string);
  /**
   * Drives (by position in the configuration) that received rebuilt shards.
   */
  'drives': (number)[];
  'detail': (string);
}
