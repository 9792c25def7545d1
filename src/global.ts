// Entry of the script-tag build, dist/onsite.js.
import { onsite } from './index.ts'
import { install } from './install.ts'

install(onsite)
