/**
 * Sizes libuv's thread pool before anything uses it (import this module
 * first). File I/O, Reed-Solomon coding and zlib all run there, and the
 * default 4 threads halve the throughput of an 8+4 erasure-coded layout:
 * each shard write is a pool task. 16 covers layouts of up to 12 drives;
 * set UV_THREADPOOL_SIZE to drives + 4 for wider ones.
 */
process.env["UV_THREADPOOL_SIZE"] ??= "16";
