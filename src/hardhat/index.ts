/**
 * hardhat-pevm, the Hardhat 3 plugin: `--parallel-evm` (or `pevm.enabled`)
 * runs every `edr-simulated` connection on our parallel-EVM node, records what
 * each transaction read and wrote, and `npx hardhat pevm-report` turns the
 * record into a per-contract parallelizability report. Hook modules load lazily.
 */
import { globalOption } from "hardhat/config"
import { ArgumentType } from "hardhat/types/arguments"
import type { HardhatPlugin } from "hardhat/types/plugins"

import "./type-extensions.js"

const hardhatPevm: HardhatPlugin = {
  id: "hardhat-pevm",
  npmPackage: "hardhat-pevm",
  hookHandlers: {
    config: () => import("./hook-handlers/config.js"),
    hre: () => import("./hook-handlers/hre.js"),
    network: () => import("./hook-handlers/network.js"),
    test: () => import("./hook-handlers/test.js"),
  },
  globalOptions: [
    globalOption({
      name: "parallelEvm",
      description: "Runs the simulated network on hardhat-pevm's parallel EVM node and records storage access for `pevm-report`",
      type: ArgumentType.FLAG,
      defaultValue: false,
    }),
  ],
}

export default hardhatPevm

export type { PevmConfig, PevmUserConfig, PevmThresholds, PevmContractThresholds } from "./config.js"
