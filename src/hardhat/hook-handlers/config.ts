import type { ConfigHooks } from "hardhat/types/hooks"

import { resolvePevmConfig, validatePevmUserConfig, withStorageLayouts } from "../config.js"

export default async (): Promise<Partial<ConfigHooks>> => ({
  validateUserConfig: async (userConfig) => {
    validatePevmUserConfig(userConfig.pevm)
    return []
  },

  resolveUserConfig: async (userConfig, resolveConfigurationVariable, next) => {
    const resolved = await next(userConfig, resolveConfigurationVariable)
    return {
      ...resolved,
      solidity: withStorageLayouts(resolved.solidity),
      pevm: resolvePevmConfig(userConfig.pevm, resolved.paths),
    }
  },
})
