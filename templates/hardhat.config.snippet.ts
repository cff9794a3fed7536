// hardhat-pevm: what to add to your hardhat.config.ts.
//
//   npm install --save-dev hardhat-pevm
//   npx hardhat test --parallel-evm     # your tests, unchanged, on the parallel EVM
//   npx hardhat pevm-report             # hot slots, conflicting function pairs, speedup bound, suggestions
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { defineConfig } from "hardhat/config";
import hardhatPevm from "hardhat-pevm";

export default defineConfig({
  // Either order works.
  plugins: [hardhatPevm, hardhatToolboxMochaEthers],

  solidity: "0.8.28",

  // Every key is optional; the values shown are the defaults unless noted.
  pevm: {
    // Run every edr-simulated network on the parallel EVM even without --parallel-evm.
    // enabled: false,

    // Worker threads that execute a block's transactions in parallel (default: the
    // number of CPU cores, at least 2).
    // workers: 4,

    // Record what each transaction read and wrote, for `pevm-report`.
    // record: true,

    // Where the run record (run.json) and reports go; relative to the project root.
    // outputDir: "cache/pevm",

    // What `npx hardhat pevm-report --check` enforces, by contract name, or "*" for
    // every contract. No thresholds by default.
    // thresholds: {
    //   "*": {
    //     // Largest share of ordered transaction pairs that may conflict (0..1).
    //     maxConflictRate: 0.2,
    //   },
    //   Token: {
    //     maxConflictRate: 0.05,
    //     // Smallest acceptable speedup bound (total gas / critical-path gas), at least 1.
    //     minSpeedup: 4,
    //     // Fail on a slot that is hot whatever the inputs (a global counter, a fixed accumulator).
    //     forbidStructuralHotSlots: true,
    //     // Per function, by name ("transfer") or signature ("transfer(address,uint256)"):
    //     // maxConflictRate, minSpeedup and forbidStructuralHotSlots.
    //     functions: {
    //       transfer: { maxConflictRate: 0.01 },
    //       "mint(address,uint256)": { forbidStructuralHotSlots: false },
    //     },
    //   },
    // },

    // How much worse than the baseline a contract may get before
    // `pevm-report --baseline FILE` fails (0..1).
    // baselineTolerance: 0.05,
  },
});
