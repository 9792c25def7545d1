// What the core knows of offers without loading them: the config keys they read, and what the page is.

/** Config keys read by the offers, beside the core's. */
export const OFFER_KEYS = ['offers', 'governance', 'audiences', 'audiencesUrl', 'audiencesToken', 'audiencesWaitMs', 'audiencesTtlMs', 'pageType', 'wisepops']

/** The store says what the page is (the Shopify snippet renders its template); otherwise the path tells. */
export const pageType = (path: string, given: unknown): string =>
  typeof given === 'string' && given
    ? given
    : path === '/' ? 'home' : (/^\/(products|collections|cart|search|blogs|pages|account)\b/.exec(path)?.[1]?.replace(/s$/, '') ?? 'other')
