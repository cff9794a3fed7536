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
    // What `npx hardhat pevm-report --check` enforces. A pool's reserves are
    // structural hot slots by design (every swap writes them), so they are not
    // forbidden here; the speedup bound across pools is what must hold.
    thresholds: {
      "*": { minSpeedup: 1.5 },
      Pool: { minSpeedup: 2 },
    },
  },
});
