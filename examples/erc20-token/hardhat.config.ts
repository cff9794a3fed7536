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
    // `npx hardhat pevm-report --check` fails when these are not met.
    thresholds: {
      MeridianToken: {
        // Transfers between disjoint holders must stay (almost) conflict-free.
        maxConflictRate: 0.1,
        functions: {
          transfer: { maxConflictRate: 0.05 },
        },
      },
    },
  },
});
