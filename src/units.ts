/** Byte units, defined once: sizes in this code base are written as `16 * MiB`. */
export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
