// porthole-chat/server: the companion endpoint. Re-exports only.
/**
 * The companion, in gateway mode (default: visitors talk only to it, and it acts in Mattermost
 * through one bot) or direct mode (each visitor becomes a Mattermost user with a channel and a
 * short-lived token), plus its health routes, CORS, rate limiting and adapters for Node, Next.js
 * route handlers and any `fetch(Request)` server.
 *
 * @module porthole-chat/server
 */
export { createCompanion, defaultClientIp, type Companion, type CompanionEnv, type CompanionOptions } from './app.js';
export { loadConfig, type CompanionConfig, type GatewayCompanionConfig } from './companion-config.js';
export { loadDirectConfig, ConfigError, SECRET_VARIABLES, type DirectConfig, type ServerSettings } from './config.js';
export { runGatewayDoctor, companionCorsChecks, type GatewayDoctorConfig, type GatewayDoctorOptions } from './gateway/gateway-doctor.js';
export { gatewayReadiness } from './gateway/gateway-companion.js';
// Gateway mode's parts (not gateway/index.js: that one also loads the SQLite store's native addon,
// which createGateway loads only when it opens its default store).
export { createGateway, type Gateway, type GatewayDeps, type GatewayStatus } from './gateway/gateway.js';
export { loadGatewayConfig, GATEWAY_SECRET_VARIABLES, type GatewayConfig } from './gateway/config.js';
// Files: the upload limits of both modes.
export { DEFAULT_UPLOAD_LIMITS, type UploadLimits } from './uploads.js';
export { MemoryGatewayStore } from './gateway/memory-store.js';
export { RedisGatewayStore, RedisGatewayStoreError, type RedisGatewayStoreOptions } from './gateway/redis-store.js';
export type {
  ClientPostRecord,
  ConversationFileRecord,
  ConversationRecord,
  DeletionRecord,
  ErasureMarker,
  GatewayStore,
  QueuedMessageRecord,
} from './gateway/store.js';
export type { ForwarderTiming } from './gateway/forwarder.js';
export type { AgentStatus, AvailabilitySettings } from './availability.js';
export type { OfficeHours, OfficeSpan } from './office-hours.js';
export type { BotSocketState } from './gateway/bot-socket.js';
export {
  MattermostRestClient,
  type BotProvisioningApi,
  type GatewayMattermost,
  type MattermostRestClientOptions,
  type MmFileStream,
  type MmUpload,
  type NewMmPost,
  type ThreadPage,
  type ThreadQuery,
} from './gateway/mattermost-api.js';
export * from '../protocol/gateway.js';
export * from '../protocol/transcript.js';
export { parseVisitorRef, type ErasureReport, type PrivacyActor, type PrivacyService, type VisitorRef } from './privacy.js';
export { cors, type CorsOptions } from './cors.js';
export { CredentialIssuer, CREDENTIAL_MARKER, credentialDescription, credentialExpiry, type VisitorCredential } from './credentials.js';
export {
  runDoctor,
  formatDoctor,
  liveOriginChecks,
  doctorRunEvent,
  erasureCheck,
  restReader,
  type DoctorCheck,
  type DoctorOptions,
  type MattermostReader,
  type ReaderAnswer,
} from './doctor.js';
export {
  createAuditLog,
  noAuditLog,
  auditLine,
  configLoadedEvent,
  type AuditAction,
  type AuditDetail,
  type AuditEvent,
  type AuditLog,
  type AuditLogOptions,
} from './audit-log.js';
export {
  HttpError,
  createErrorHandler,
  errorBodySchema,
  errorCodeOf,
  errorReporter,
  type ErrorBody,
  type ErrorContext,
  type ErrorHook,
  type ErrorReporter,
  type HttpErrorOptions,
} from './errors.js';
export {
  createCompanionMetrics,
  mattermostRoute,
  noMetrics,
  PrometheusCompanionMetrics,
  type CompanionMetrics,
  type CompanionMetricsOptions,
  type MetricsSources,
  type RateLimitName,
  type RelayDirection,
  type SessionOutcome,
} from './metrics.js';
export { metricsRoute, type MetricsRouteOptions } from './metrics-route.js';
export {
  checkReadiness,
  healthBodySchema,
  healthRoutes,
  readinessReportSchema,
  readinessStatus,
  type ReadinessCheck,
  type ReadinessReport,
} from './health-route.js';
export {
  createOpenApiDocument,
  openApiRoute,
  OPENAPI_MAX_AGE_S,
  OPENAPI_PATH,
  type OpenApiDocument,
  type OpenApiOptions,
} from './openapi.js';
export { gatewaySessionRequestSchema, messagesQuerySchema, sendRequestSchema } from './gateway/visitor-routes.js';
export { verifyIdentity, signIdentity, IdentityError, type IdentityClaims } from './identity.js';
export { createJsonLogger, silentLogger, type Logger, type LogEntry } from './logger.js';
export {
  HttpMattermostAdmin,
  MattermostError,
  type MattermostAdmin,
  type MmChannel,
  type MmChannelDetail,
  type MmChannelPost,
  type MmServerLimits,
  type MmTeam,
  type MmUser,
  type MmUserAccessToken,
  type MmUserActivity,
  type MmUserProfile,
} from './mattermost-admin.js';
export { MemoryMattermostAdmin, type MemoryFile } from './memory-mattermost-admin.js';
export { GatewayPrivacy, type GatewayPrivacyOptions } from './gateway/erasure.js';
export type { BotAccount } from './gateway/bot-account.js';
export { toRouteHandlers, stripBasePath, type RouteCompanion, type RouteHandler, type RouteHandlers } from './next.js';
export {
  HttpOriginProber,
  type CorsPreflightAnswer,
  type HttpOriginProberOptions,
  type OriginProber,
  type WebSocketUpgradeAnswer,
} from './origin-prober.js';
export { toNodeListener, serve, shutdown, type NodeListener, type RunningServer, type ShutdownOptions } from './node.js';
export {
  MemoryRateLimitStore,
  RedisRateLimitStore,
  rateLimit,
  sessionRateLimits,
  type RateLimitHit,
  type RateLimitStore,
  type SessionRateLimitOptions,
} from './rate-limit.js';
export { addressKey, upgradeClientIp } from './client-address.js';
export { describeRedisUrl, RedisUnavailableError } from './redis.js';
export { sessionRequestSchema, sessionResponseSchema, MAX_SESSION_BODY_BYTES, type SessionResponse } from './session-route.js';
export { VISITOR_COOKIE } from './visitor-cookie.js';
export { visitorHandle, VISITOR_EMAIL_DOMAIN, VISITOR_PREFIX } from './visitor-provisioner.js';
export { recycleIdleVisitors, type RecycleOptions } from './visitor-recycler.js';
