export { startSandbox } from './sandbox-server';
export type { RunningSandbox, SandboxOptions } from './sandbox-server';
export { SandboxAdminClient } from './admin-client';
export type { SandboxConfig, SandboxConfigPatch, Tier } from './config';
export type { RequestLogEntry, SandboxCounters } from './traffic';
export type { SandboxUserView } from './users';
export { findTrackById, findTracksByIsrc, findVariants, generateCatalogue } from './catalogue';
export type { SandboxAudioFeatures, SandboxTrack, VariantKind } from './catalogue';
export { connectSandboxUser, pkcePair, requestToken, sandboxAppToken } from './test-helpers';
