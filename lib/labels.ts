/**
 * Every label the harness sets or reads, named once. A label is how a runtime or a cluster object
 * is tied to a pod and to the run that made it: the leak checks and every undo find what is ours
 * by these names, so two spellings of one would hide a leak.
 */

/** The kubelet's CRI labels (pkg/kubelet/types/labels.go): the CRI driver sets them as kubelet does. */
export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';

/** containerd's CRI plugin marks each container `sandbox` (a pod's pause) or `container` (an app). */
export const LABEL_CRI_KIND = 'io.cri-containerd.kind';

/** Marks everything the harness makes on a runtime or a cluster, with the run id as value. */
export const LABEL_RUN = 'pause-conformance.io/run';
/** The fixture a Kubernetes pod was made from (its manifest name before the driver made it unique). */
export const LABEL_FIXTURE = 'pause-conformance.io/fixture';
