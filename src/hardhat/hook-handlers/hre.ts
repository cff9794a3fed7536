import type { HardhatRuntimeEnvironmentHooks } from "hardhat/types/hooks"

import { pevmEnabled } from "../nodes.js"

/** In mocha's parallel mode, each worker needs our root hooks to save its record. */
export default async (): Promise<Partial<HardhatRuntimeEnvironmentHooks>> => ({
  created: async (_context, hre) => {
    const mocha = (hre.config as { test?: { mocha?: { parallel?: boolean; require?: string[] } } }).test?.mocha
    if (mocha?.parallel !== true || !pevmEnabled(hre)) return
    const hooks = new URL("../mochaRootHooks.js", import.meta.url).href
    mocha.require ??= []
    if (!mocha.require.includes(hooks)) mocha.require.push(hooks)
  },
})
