/** Everything hardhat-pevm adds to Hardhat's types: the `pevm` config section and the `--parallel-evm` flag. */
import "hardhat/types/config"
import "hardhat/types/global-options"

import type { PevmConfig, PevmUserConfig } from "./config.js"

declare module "hardhat/types/config" {
  interface HardhatUserConfig {
    pevm?: PevmUserConfig
  }

  interface HardhatConfig {
    pevm: PevmConfig
  }
}

declare module "hardhat/types/global-options" {
  interface GlobalOptions {
    parallelEvm: boolean
  }
}
