// porthole-chat/server: the companion endpoint. Re-exports only.
/**
 * The companion: the session endpoint that turns a site visitor into a Mattermost user, a
 * conversation channel and a short-lived token, plus its health routes, CORS, rate limiting and
 * adapters for Node, Next.js route handlers and any `fetch(Request)` server.
 *
 * @module porthole-chat/server
 */
export { createCompanion, defaultClientIp, type Companion, type CompanionEnv, type CompanionOptions } from './app.js';
export { loadConfig, ConfigError, SECRET_VARIABLES, type CompanionConfig } from './config.js';
export { cors, type CorsOptions } from './cors.js';
export { CredentialIssuer, CREDENTIAL_MARKER, credentialDescription, credentialExpiry, type VisitorCredential } from './credentials.js';
export { runDoctor, formatDoctor, liveOriginChecks, type DoctorCheck, type DoctorOptions } from './doctor.js';
export { HttpError, createErrorHandler, type ErrorBody, type HttpErrorOptions } from './errors.js';
export { checkReadiness, healthRoutes, type ReadinessCheck, type ReadinessReport } from './health-route.js';
export { verifyIdentity, signIdentity, IdentityError, type IdentityClaims } from './identity.js';
export { createJsonLogger, silentLogger, type Logger, type LogEntry } from './logger.js';
export {
  HttpMattermostAdmin,
  MattermostError,
  type MattermostAdmin,
  type MmChannel,
  type MmServerLimits,
  type MmTeam,
  type MmUser,
  type MmUserAccessToken,
  type MmUserActivity,
} from './mattermost-admin.js';
export { MemoryMattermostAdmin } from './memory-mattermost-admin.js';
export { toRouteHandlers, stripBasePath, type RouteHandler, type RouteHandlers } from './next.js';
export { HttpOriginProber, type CorsPreflightAnswer, type HttpOriginProberOptions, type OriginProber, type WebSocketUpgradeAnswer } from './origin-prober.js';
export { toNodeListener, serve, type NodeListener, type RunningServer } from './node.js';
export { MemoryRateLimitStore, rateLimit, type RateLimitHit, type RateLimitStore } from './rate-limit.js';
export { sessionRequestSchema, MAX_SESSION_BODY_BYTES, type SessionResponse } from './session-route.js';
export { VISITOR_COOKIE } from './visitor-cookie.js';
export { visitorHandle, VISITOR_EMAIL_DOMAIN, VISITOR_PREFIX } from './visitor-provisioner.js';
export { recycleIdleVisitors, type RecycleOptions } from './visitor-recycler.js';
