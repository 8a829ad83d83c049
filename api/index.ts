/// <reference types="mocha" preserve="true" />
/**
 * `import { ... } from 'pause-conformance'`: the package's API for a team's own checks, run with
 * `pause-conformance run --suites DIR` beside the built-in suites, and for programs that run the
 * harness themselves. Everything public goes through this file, so lib/ can change behind it.
 * The reference above gives a team's TypeScript Mocha's describe/it/before, which these
 * declarations use, without a `types` setting of their own.
 *
 * - the run a check belongs to: target(), fixture(), usePod();
 * - the sandbox seen from the node and from inside: observePause(), observeContainer(),
 *   eth0Address(), execText(), target().node (a NodeView), and teardown timed with watchFirstSeen()
 *   or, with every condition the built-in suites use (the runtime's shim included, each seen
 *   present before the delete), planSandboxGone() + watchGone();
 * - what a check leaves in the report: evidence(this), step(this, name, body), skipBecause(this, reason), expect;
 * - the harness from code: run() (the whole run, as the command line), startTargets();
 * - the types all of these take and return.
 */
export { fixture, target, usePod } from '../suites/context.ts';
export type { UsedPod, UsePodOptions } from '../suites/context.ts';
export { eth0Address, execText, observeContainer, observePause } from '../suites/observe.ts';
export type { ContainerNamespaces, PauseObservation } from '../suites/observe.ts';
export { watchFirstSeen } from '../lib/report/first-seen.ts';
export type { Condition, FirstSeen } from '../lib/report/first-seen.ts';
export { goneLine, LeftAfterDeleteError, watchGone } from '../lib/report/gone-watch.ts';
export type { GoneWatchOptions } from '../lib/report/gone-watch.ts';
export { GONE_CONDITIONS, notCheckedLine, planSandboxGone } from '../lib/report/sandbox-gone.ts';
export type { GoneCondition, GonePlan, GoneTarget, SandboxToRemove } from '../lib/report/sandbox-gone.ts';
export { goneTarget, optionalFacts } from '../suites/observe.ts';
export { ProbeUnknownError } from '../lib/node/presence.ts';
export type { Presence } from '../lib/node/presence.ts';
export type { RuntimeShim } from '../lib/node/runtime-shims.ts';
export { pollUntil, WaitTimeoutError } from '../lib/wait.ts';
export type { PollOptions, Probe } from '../lib/wait.ts';

export { evidence, skipBecause } from '../lib/report/evidence.ts';
export type { Evidence, EvidenceValue } from '../lib/report/evidence.ts';
export { step } from '../lib/report/steps.ts';
export type { StepRecord } from '../lib/report/steps.ts';
// The chai the built-in suites use: a team's project needs no chai of its own (and no second copy).
export { expect } from 'chai';

export { run, startTargets } from './run.ts';
export type { RunOptions, RunResult, StartOptions, StartedTargets } from './run.ts';
export { EnvironmentError, UsageError } from '../lib/errors.ts';

export type { Target, TargetCapabilities, TargetControls, TargetInfo } from '../lib/target.ts';
export type { ContainerObservation, ContainerRef, DeleteResult, ExecResult, PodDriver, PodRef } from '../lib/pods/pod-driver.ts';
export type { ContainerFacts, HostLink, ImageFacts, NamespaceIds, NamespaceKind, NodeView, SandboxFacts, SandboxState } from '../lib/node/node-view.ts';
export type { ContainerManifest, PodManifest, PodSpec, RestartPolicy } from '../lib/pods/manifest.ts';
// The hostname the kubelet gives a pod (spec.hostname, else its name), as the CRI driver sets it too.
export { podHostname } from '../lib/pods/translate.ts';
export type { CheckResult, CheckStatus, Report, TargetReport } from '../lib/report/report.ts';
