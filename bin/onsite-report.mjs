#!/usr/bin/env node
// DuckDB is an optional peer of onsite (the storefront script needs none of it): say how to get it.
import('../dist/report-cli.mjs').catch((e) => {
  console.error(e?.code === 'ERR_MODULE_NOT_FOUND' && /duckdb/.test(e.message) ? 'onsite-report needs DuckDB: npm i @duckdb/node-api' : String(e?.message ?? e))
  process.exitCode = 1
})
