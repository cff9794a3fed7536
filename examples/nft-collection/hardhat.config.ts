import { createRequire } from "node:module";

import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { defineConfig } from "hardhat/config";
import hardhatPevm from "hardhat-pevm";

// This machine has no internet access: use the solc compiler from npm.
const require = createRequire(import.meta.url);

export default defineConfig({
  plugins: [hardhatPevm, hardhatToolboxMochaEthers],
  solidity: {
    version: "0.8.28",
    path: require.resolve("solc/soljson.js"),
  },
  pevm: {
    // Record storage access during `--parallel-evm` runs (the default).
    record: true,
    // The run record (run.json) and reports go here instead of cache/pevm.
    outputDir: "pevm-output",
    thresholds: {
      // Every mint writes the global `_nextTokenId` counter: a structural hot
      // slot. This threshold makes `pevm-report --check` flag it.
      CometCollection: {
        forbidStructuralHotSlots: true,
      },
    },
  },
});
