import { HttpError, json, parseJsonBody, RequestContext, route, Route, SandboxResponse } from './http';
import { SandboxState } from './state';

/** Test and demo controls under /__admin: no auth, not counted, no latency, no faults. */
export function adminRoutes(state: SandboxState): Route[] {
  const noContent: SandboxResponse = { status: 204 };
  return [
    route('GET', '/__admin/config', () => json(200, state.config)),
    route('POST', '/__admin/config', (ctx) => json(200, state.updateConfig(parseJsonBody(ctx)))),
    route('POST', '/__admin/reset', () => {
      state.reset();
      return noContent;
    }),
    route('GET', '/__admin/counters', () => json(200, state.traffic.counters())),
    route('GET', '/__admin/requests', () => json(200, state.traffic.requests())),
    route('GET', '/__admin/users/{id}', (ctx) => json(200, state.users.view(ctx.params.id))),
    route('POST', '/__admin/users/{id}/library', (ctx) => {
      state.users.setLibrary(ctx.params.id, knownTrackIds(state, ctx));
      return json(200, state.users.view(ctx.params.id));
    }),
    route('POST', '/__admin/users/{id}/library/add', (ctx) => {
      state.users.save(ctx.params.id, knownTrackIds(state, ctx));
      return json(200, state.users.view(ctx.params.id));
    }),
    route('POST', '/__admin/users/{id}/library/remove', (ctx) => {
      state.users.unsave(ctx.params.id, trackIdsFrom(ctx));
      return json(200, state.users.view(ctx.params.id));
    }),
    route('POST', '/__admin/users/{id}/revoke', (ctx) => {
      state.tokens.revokeUser(ctx.params.id);
      return noContent;
    }),
    route('POST', '/__admin/users/{id}/expire-access-tokens', (ctx) => {
      state.tokens.expireAccessTokens(ctx.params.id);
      return noContent;
    }),
  ];
}

function trackIdsFrom(ctx: RequestContext): string[] {
  const { trackIds } = parseJsonBody(ctx);
  if (!Array.isArray(trackIds) || !trackIds.every((id) => typeof id === 'string')) {
    throw new HttpError(json(400, { error: 'trackIds must be an array of strings' }));
  }
  return trackIds;
}

/** A library can only hold catalogue tracks; a typo in a test should fail loudly here. */
function knownTrackIds(state: SandboxState, ctx: RequestContext): string[] {
  const trackIds = trackIdsFrom(ctx);
  const unknown = trackIds.filter((id) => !state.index.byId.has(id));
  if (unknown.length > 0) throw new HttpError(json(400, { error: 'unknown track ids', unknown }));
  return trackIds;
}
