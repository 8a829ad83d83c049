/**
 * Where the tests' private Docker engine keeps its things, and what marks them as its own. One
 * engine per machine at a time (the integration tests hold a machine-wide lock), so the names are
 * fixed: a test that was SIGKILLed leaves its daemon behind under these names, and the next start
 * finds it and stops it first.
 */
import { fileURLToPath } from 'node:url';

/** Socket, pidfile, exec-root, log and the node containers' bind-mounted /run/containerd dirs. Removed at stop. */
export const ENGINE_RUN_DIR = '/run/pause-conformance-docker';
/**
 * The data-root (images, the node image cache): kept between runs on purpose, so a machine builds
 * the node image once. Outside /var/lib/pause-conformance, which the harness's own leak check
 * wants empty.
 */
export const ENGINE_DATA_ROOT = '/var/cache/pause-conformance/docker';
/** dockerd makes its cgroup parent in every hierarchy and never removes it: named, so stop removes exactly it. */
export const ENGINE_CGROUP_PARENT = 'pause-conformance-docker';

export const ENGINE_SOCKET = `${ENGINE_RUN_DIR}/docker.sock`;
export const ENGINE_HOST = `unix://${ENGINE_SOCKET}`;
export const ENGINE_PIDFILE = `${ENGINE_RUN_DIR}/dockerd.pid`;
export const ENGINE_LOG = `${ENGINE_RUN_DIR}/dockerd.log`;
/** A mount point outside /run that carries ENGINE_RUN_DIR over the fresh /run tmpfs of the engine's namespace. */
export const ENGINE_STAGE = `${ENGINE_DATA_ROOT}/.run-stage`;
/** Per node container: bind-mounted at its /run/containerd, so its containerd socket is reachable from here. */
export const NODES_DIR = `${ENGINE_RUN_DIR}/nodes`;

/** The runtime wrapper this machine needs for --privileged (see runc-bounded's header). */
export const RUNC_BOUNDED = fileURLToPath(new URL('./runc-bounded', import.meta.url));

/** A pull must fail at once: every proxy points at a closed loopback port (nothing may leave the machine). */
export const CLOSED_PROXY = 'http://127.0.0.1:9';

/** Label on every container the tests make in the engine, so teardown can find them all. */
export const TEST_LABEL = 'io.pause-conformance.test';
