/**
 * The V8 flags a gateway process runs with, wherever it runs: the process stack (`npm run stack`,
 * the benchmark, the fault suites) passes them, and so does the image's entrypoint (compose,
 * Kubernetes), which test/deploy/image.spec.ts holds to this list.
 *
 * `--max-semi-space-size=32` (MB; Node 20's default is 16): under load, a message's short-lived
 * objects (packets, promises, rows, acks) were still alive at the young generation's collections
 * and got promoted, so the old generation filled and was collected every ≈ 200 ms, with pauses of
 * 5–45 ms (a GC trace of the benchmark's many-rooms window: 500 channels, 1 message/s each, 5,000
 * sockets). Its e2e p99 read 79 ms with the default and 16 ms with 32, one run each (the bare
 * socket.io baseline, given the same flag: 4.8 and 4.7 ms); 16 changed nothing. The price is up to
 * 32 MB more young generation per gateway process.
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];
