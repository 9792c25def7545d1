// The onsite-audiences command: `onsite-audiences` serves (settings from the environment), and
// `onsite-audiences sign <id> [--ttl <seconds>]` prints a visitor token signed with ONSITE_TOKEN_SECRET.
import { readSettings } from './config.ts'
import { createAudienceService } from './handler.ts'
import { serveNode } from './node.ts'
import { signVisitor } from './token.ts'

type Env = Record<string, string | undefined>

export interface Io {
  out: (line: string) => void
  err: (line: string) => void
  /** Stops the server (the command listens for SIGINT and SIGTERM itself). */
  signal?: AbortSignal
}

const USAGE = `usage: onsite-audiences [serve]            serve (settings from the environment; see the README)
       onsite-audiences sign <id> [--ttl <s>]  print a visitor token for <id> (default ttl 86400 s)`

const sign = async (args: string[], env: Env, io: Io): Promise<number> => {
  const [id, ...rest] = args
  const at = rest.indexOf('--ttl')
  const ttl = at >= 0 ? Number(rest[at + 1]) : 86400
  if (!id || id.startsWith('--') || rest.length !== (at >= 0 ? 2 : 0)) return io.err(USAGE), 2
  if (!Number.isInteger(ttl) || ttl <= 0) return io.err(`[onsite-audiences] --ttl must be a whole number of seconds > 0`), 2
  const secret = env.ONSITE_TOKEN_SECRET
  if (!secret) return io.err('[onsite-audiences] ONSITE_TOKEN_SECRET is not set: set it to the key visitor tokens are signed with'), 1
  try {
    io.out(await signVisitor(id, secret, ttl))
    return 0
  } catch (e) {
    return io.err(`[onsite-audiences] ${(e as Error).message}`), 1
  }
}

const serve = async (env: Env, io: Io): Promise<number> => {
  const { settings, errors } = readSettings(env)
  if (errors.length) return errors.forEach((e) => io.err(e)), 1
  const service = createAudienceService(settings, { log: io.err })
  try {
    await service.ready()
  } catch (e) {
    return io.err(`[onsite-audiences] the store did not open (${settings.databaseUrl ? 'DATABASE_URL' : `ONSITE_DATA_DIR ${settings.dataDir}`}): ${(e as Error).message}`), 1
  }
  const served = await serveNode(service, settings).catch((e: Error) => e)
  if (served instanceof Error) return await service.close(), io.err(`[onsite-audiences] cannot listen on ${settings.host}:${settings.port}: ${served.message}`), 1
  io.out(`[onsite-audiences] listening on ${served.url}${settings.basePath} (store: ${settings.databaseUrl ? 'postgres' : `pglite ${settings.dataDir}`}; pull: ${settings.appApiKey ? settings.apiBase : 'off'})`)
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop).off('SIGTERM', stop)
      done()
    }
    io.signal?.addEventListener('abort', stop, { once: true })
    process.once('SIGINT', stop).once('SIGTERM', stop)
  })
  await served.close()
  await service.close()
  return 0
}

/** Runs the command; resolves with the exit code (serving: once stopped). */
export const main = (argv: string[], env: Env = process.env, io: Io = { out: console.log, err: console.error }): Promise<number> => {
  const [cmd, ...rest] = argv
  if (cmd === 'sign') return sign(rest, env, io)
  if (cmd === undefined || cmd === 'serve') return serve(env, io)
  io.err(USAGE)
  return Promise.resolve(cmd === '--help' || cmd === '-h' ? 0 : 2)
}
