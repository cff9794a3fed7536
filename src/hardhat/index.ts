/**
 * hardhat-pevm, the Hardhat 3 plugin: `--parallel-evm` (or `pevm.enabled`)
 * runs every `edr-simulated` connection on our parallel-EVM node, records what
 * each transaction read and wrote, and `npx hardhat pevm-report` turns the
 * record into a per-contract parallelizability report. Hook modules load lazily.
 */
import { globalOption, task } from "hardhat/config"
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
  tasks: [
    task("pevm-report", "Reports how each contract would run on a parallel EVM: hot slots, conflicts, speedup, suggestions")
      .addFlag({ name: "run", description: "Run `hardhat test --parallel-evm` first, even when a run record exists" })
      .addFlag({ name: "check", description: "Exit with 1 when a contract misses its pevm.thresholds" })
      .addOption({ name: "baseline", description: "Exit with 1 when a contract got worse than this baseline file", type: ArgumentType.FILE_WITHOUT_DEFAULT, defaultValue: undefined })
      .addFlag({ name: "updateBaseline", description: "Write the baseline (--baseline FILE, default pevm-baseline.json) instead of comparing" })
      .addOption({ name: "json", description: "Write the report as JSON to this file", type: ArgumentType.FILE_WITHOUT_DEFAULT, defaultValue: undefined })
      .addOption({ name: "markdown", description: "Write the report as Markdown to this file", type: ArgumentType.FILE_WITHOUT_DEFAULT, defaultValue: undefined })
      .addOption({ name: "html", description: "Write the report as one self-contained HTML page to this file", type: ArgumentType.FILE_WITHOUT_DEFAULT, defaultValue: undefined })
      .addFlag({ name: "noReplay", description: "Skip the measured replay of each contract's transactions through the engine" })
      .setAction(async () => await import("./tasks/report.js"))
      .build(),
  ],
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
