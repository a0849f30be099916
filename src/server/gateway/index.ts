// Gateway mode of the companion: visitors talk only to the companion, which acts in Mattermost
// through one bot. Entry point: createGateway + loadGatewayConfig.
export { createGateway, type Gateway, type GatewayDeps, type GatewayStatus } from './gateway.js';
export {
  gatewayConfigSchema,
  GATEWAY_SECRET_VARIABLES,
  loadGatewayConfig,
  loadMode,
  VARIABLES_NOT_NEEDED_IN_GATEWAY,
  type GatewayConfig,
  type PortholeMode,
} from './config.js';
export { GatewayStartError, type BotAccount } from './bot-account.js';
export type { ClientPostRecord, ConversationRecord, DeletionRecord, GatewayStore } from './store.js';
export { MemoryGatewayStore } from './memory-store.js';
export { GatewayPrivacy, type GatewayPrivacyOptions } from './erasure.js';
export { privacyRoutes, ERASURES_PER_MINUTE, type PrivacyRoutesDeps } from './privacy-routes.js';
export { RedisGatewayStore, RedisGatewayStoreError, type RedisGatewayStoreOptions } from './redis-store.js';
export { SqliteGatewayStore, StoreOpenError, SQLITE_FILE, SQLITE_SCHEMA } from './sqlite-store.js';
export {
  PortholeTokenError,
  signPortholeToken,
  verifyPortholeToken,
  visitorIds,
  type PortholeTokenClaims,
  type PortholeTokenErrorCode,
  type VisitorIds,
} from './porthole-token.js';
export * from '../../protocol/gateway.js';
export { MattermostRestClient, type BotProvisioningApi, type GatewayMattermost } from './mattermost-api.js';
