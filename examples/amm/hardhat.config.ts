import { createRequire } from "node:module";

import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { defineConfig } from "hardhat/config";
import hardhatPevm from "hardhat-pevm";

// This machine has no internet access: use the solc compiler from npm.
const require = createRequire(import.meta.url);

export default defineConfig({
  // Either plugin order works: hardhat-pevm may come before or after the toolbox.
  plugins: [hardhatToolboxMochaEthers, hardhatPevm],
  solidity: {
    version: "0.8.28",
    path: require.resolve("solc/soljson.js"),
    settings: { optimizer: { enabled: true, runs: 200 } },
  },
  pevm: {
    // Worker threads that execute a block's transactions in parallel.
    workers: 2,
    thresholds: {
      // Swaps on one pool all write its reserves: a structural hot slot that is
      // expected for an AMM, so only the conflict rate of swaps is bounded.
      Pool: {
        forbidStructuralHotSlots: false,
      },
      Factory: {
        // Creating a pool pushes to `allPools`: every creation conflicts.
        functions: { createPool: { maxConflictRate: 1 } },
      },
    },
  },
});
