/** Submission and mailbox-access port probes (465, 587, 143, 993, 110, 995) and their `submission.*` findings. */
export { probeAccessPort, probeAccessHost, type AccessTarget, type AccessProbeOptions } from './probe.js';
export { accessFindings } from './findings.js';
export { ACCESS_PORTS, SERVICE_PAIRS, accessService, type AccessService } from './services.js';
export { cleartextLogin, type CleartextLogin } from './cleartext.js';
export { portState, type PortState } from './port-state.js';
export type * from './types.js';
