// porthole-chat/server: the companion endpoint. Re-exports only.
export { createCompanion, defaultClientIp, type Companion, type CompanionEnv, type CompanionOptions } from './app';
export { loadConfig, ConfigError, SECRET_VARIABLES, type CompanionConfig } from './config';
export { cors, type CorsOptions } from './cors';
export { CredentialIssuer, CREDENTIAL_MARKER, credentialDescription, credentialExpiry, type VisitorCredential } from './credentials';
export { runDoctor, formatDoctor, type DoctorCheck } from './doctor';
export { HttpError, createErrorHandler, type ErrorBody, type HttpErrorOptions } from './errors';
export { checkReadiness, healthRoutes, type ReadinessCheck, type ReadinessReport } from './health-route';
export { verifyIdentity, signIdentity, IdentityError, type IdentityClaims } from './identity';
export { createJsonLogger, silentLogger, type Logger, type LogEntry } from './logger';
export {
  HttpMattermostAdmin,
  MattermostError,
  type MattermostAdmin,
  type MmChannel,
  type MmServerLimits,
  type MmTeam,
  type MmUser,
  type MmUserAccessToken,
} from './mattermost-admin';
export { MemoryMattermostAdmin } from './memory-mattermost-admin';
export { toRouteHandlers, stripBasePath, type RouteHandler, type RouteHandlers } from './next';
export { toNodeListener, serve, type NodeListener, type RunningServer } from './node';
export { MemoryRateLimitStore, rateLimit, type RateLimitHit, type RateLimitStore } from './rate-limit';
export { sessionRequestSchema, MAX_SESSION_BODY_BYTES, type SessionResponse } from './session-route';
export { VISITOR_COOKIE } from './visitor-cookie';
export { visitorHandle, VISITOR_EMAIL_DOMAIN, VISITOR_PREFIX } from './visitor-provisioner';
