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
    // What `npx hardhat pevm-report --check` enforces (see templates/hardhat.config.snippet.ts).
    thresholds: {
      MeridianToken: {
        // The token's transactions, taken as one block, must allow at least a 2x speedup...
        minSpeedup: 2,
        // ...and no slot may be hot whatever the inputs (balances are per holder).
        forbidStructuralHotSlots: true,
      },
    },
  },
});
