// Kept in step with package.json by test/unit/build.test.ts.
export const VERSION = '0.1.0'
export const LIBRARY = { name: 'onsite', version: VERSION } as const
