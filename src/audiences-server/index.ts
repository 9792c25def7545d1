// onsite-audiences: Customer.io segments for the storefront (see README "How Customer.io segments reach the page").
export { createAudienceService, MAX_WEBHOOK_BYTES, type AudienceService, type ServiceDeps } from './handler.ts'
export { readSettings, type Settings } from './config.ts'
export { signVisitor, verifyVisitor, type Verified } from './token.ts'
export { verifyAppProxy, proxyMessage, type ProxyResult } from './app-proxy.ts'
export { serveNode, type Served } from './node.ts'
export { openStore, sqlStore, type Store, type Db, type PersonState } from './store.ts'
export { parseWebhook, MAX_ITEMS, type Change } from './webhook.ts'
