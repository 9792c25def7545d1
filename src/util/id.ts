// Ids for visitors, sessions and messages.
import { nanoid } from 'nanoid'

/**
 * nanoid needs crypto.getRandomValues; a page (or a very old WebView) without it must not stop onsite at
 * init: ids then come from Math.random, unique enough for ids and messageIds.
 */
export const newId = (): string => {
  try {
    return nanoid()
  } catch {
    return (Date.now().toString(36) + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2)).slice(0, 21)
  }
}
