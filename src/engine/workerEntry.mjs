/**
 * The file piscina loads in each worker thread. Piscina require()s its
 * worker file first; under a TypeScript loader that turns the whole worker
 * graph into CommonJS, and ethereumjs' CommonJS build routes every call
 * through re-export getters (measured 1.3 to 1.9x slower). A plain .mjs that
 * import()s the real worker keeps the graph ESM, in development (worker.ts)
 * and in the published package (worker.js) alike.
 */
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

const compiled = new URL("./worker.js", import.meta.url)
const target = existsSync(fileURLToPath(compiled)) ? compiled.href : new URL("./worker.ts", import.meta.url).href

let handler
export default async function run(task) {
  handler ??= (await import(target)).default
  return handler(task)
}
