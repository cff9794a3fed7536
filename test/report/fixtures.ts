/**
 * Literal `AnalysisReport`s for the report tests, shaped like what the
 * analysis gives for three typical contracts: an ERC-20 `Token` (balances
 * keyed by the test accounts, a total supply that mint writes), a
 * constant-product `Pool` (reserves packed in one slot that every swap
 * writes, a storage reentrancy guard) and an `Nft` with a global id counter.
 */
import type { AnalysisReport, ContractReport } from "../../src/analysis/types.js"

const TOKEN = "0x5fbdb2315678afecb367f032d93f642f64180aa3"
const POOL = "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512"
const NFT = "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0"

export const token: ContractReport = {
  name: "Token",
  sourceName: "contracts/Token.sol",
  fullyQualifiedName: "contracts/Token.sol:Token",
  addresses: [TOKEN],
  transactions: 101,
  directTransactions: 100,
  deployments: 1,
  gasUsed: 4_312_877,
  functions: [
    { name: "transfer", signature: "transfer(address,uint256)", selector: "0xa9059cbb", transactions: 60, reverted: 2, gas: 2_089_000, meanGas: 34_817 },
    { name: "transferFrom", signature: "transferFrom(address,address,uint256)", selector: "0x23b872dd", transactions: 20, reverted: 0, gas: 820_000, meanGas: 41_000 },
    { name: "approve", signature: "approve(address,uint256)", selector: "0x095ea7b3", transactions: 12, reverted: 0, gas: 553_000, meanGas: 46_083 },
    { name: "mint", signature: "mint(address,uint256)", selector: "0x40c10f19", transactions: 8, reverted: 0, gas: 410_000, meanGas: 51_250 },
    { name: "(deploy)", signature: "(deploy)", transactions: 1, reverted: 0, gas: 440_877, meanGas: 440_877 },
  ],
  hotSlots: [
    {
      address: TOKEN,
      slot: "0x723077b8a1b173adc35e5f0e7e3662fd1208212cb629f9c128551ea7168da722",
      name: "Token._balances[0x7099…79C8]",
      named: true,
      type: "uint256",
      kind: "data-dependent",
      kindReason: "keyed by the sender or an argument: transactions conflict on it only when they share that key",
      writers: 45,
      writeShare: 0.45,
      readers: 70,
      conflicts: 38,
      writeConflicts: 0,
      functions: ["transfer(address,uint256)", "transferFrom(address,address,uint256)", "mint(address,uint256)"],
    },
    {
      address: TOKEN,
      slot: "0x14e04a66bf74771820a7400ff6cf065175b3d7eb25805a5bd1633b161af5d101",
      name: "Token._balances[0x3C44…93BC]",
      named: true,
      type: "uint256",
      kind: "data-dependent",
      kindReason: "keyed by the sender or an argument: transactions conflict on it only when they share that key",
      writers: 30,
      writeShare: 0.3,
      readers: 41,
      conflicts: 22,
      writeConflicts: 0,
      functions: ["transfer(address,uint256)", "transferFrom(address,address,uint256)"],
    },
    {
      address: TOKEN,
      slot: "0x2",
      name: "Token._totalSupply",
      named: true,
      type: "uint256",
      kind: "structural",
      kindReason: "a fixed variable: every transaction that writes it writes the same slot, whatever its inputs",
      writers: 8,
      writeShare: 0.08,
      readers: 8,
      conflicts: 7,
      writeConflicts: 0,
      functions: ["mint(address,uint256)"],
    },
    {
      address: TOKEN,
      slot: "0x6c8f9259b5bd2d0d6b8c3a1e0e7b0a44d5d1b4e1f5a38a0c2d0f6f31c2a1d9e2",
      name: "Token._allowances[0x7099…79C8][0x3C44…93BC]",
      named: true,
      type: "uint256",
      kind: "data-dependent",
      kindReason: "keyed by the sender or an argument: transactions conflict on it only when they share that key",
      writers: 32,
      writeShare: 0.32,
      readers: 20,
      conflicts: 18,
      writeConflicts: 6,
      functions: ["transferFrom(address,address,uint256)", "approve(address,uint256)"],
    },
  ],
  ignoredSlots: [],
  conflicts: [
    { from: "transfer(address,uint256)", to: "transfer(address,uint256)", kind: "read-after-write", count: 22, rate: 0.3793103448275862, sameBlockCount: 0, slots: ["Token._balances[0x7099…79C8]", "Token._balances[0x3C44…93BC]"] },
    { from: "approve(address,uint256)", to: "transferFrom(address,address,uint256)", kind: "read-after-write", count: 18, rate: 0.9, sameBlockCount: 2, slots: ["Token._allowances[0x7099…79C8][0x3C44…93BC]"] },
    { from: "transfer(address,uint256)", to: "transferFrom(address,address,uint256)", kind: "read-after-write", count: 9, rate: 0.45, sameBlockCount: 0, slots: ["Token._balances[0x7099…79C8]"] },
    { from: "mint(address,uint256)", to: "mint(address,uint256)", kind: "read-after-write", count: 7, rate: 1, sameBlockCount: 0, slots: ["Token._totalSupply"] },
    { from: "approve(address,uint256)", to: "approve(address,uint256)", kind: "write-after-write", count: 6, rate: 0.5454545454545454, sameBlockCount: 0, slots: ["Token._allowances[0x7099…79C8][0x3C44…93BC]"] },
    { from: "mint(address,uint256)", to: "transfer(address,uint256)", kind: "read-after-write", count: 4, rate: 0.06666666666666667, sameBlockCount: 0, slots: ["Token._balances[0x7099…79C8]"] },
  ],
  speedupBound: { transactions: 100, totalGas: 3_872_000, criticalPathGas: 1_210_000, bound: 3.2, longestChain: 31 },
  replay: {
    transactions: 100,
    capped: false,
    workers: 4,
    sequentialMs: 412.5,
    parallelMs: 187.2,
    speedup: 2.2035256410256410,
    reExecutions: 17,
    incarnations: 117,
    validationAborts: 11,
    dependencyWaits: 23,
    fellBack: false,
    divergent: 0,
    divergences: [],
  },
  suggestions: [],
}

export const pool: ContractReport = {
  name: "Pool",
  sourceName: "contracts/Pool.sol",
  fullyQualifiedName: "contracts/Pool.sol:Pool",
  addresses: [POOL],
  transactions: 51,
  directTransactions: 50,
  deployments: 1,
  gasUsed: 3_950_000,
  functions: [
    { name: "swap0for1", signature: "swap0for1(uint256)", selector: "0x6c9a3b8e", transactions: 30, reverted: 0, gas: 2_010_000, meanGas: 67_000 },
    { name: "swap1for0", signature: "swap1for0(uint256)", selector: "0x1e2b4c07", transactions: 15, reverted: 1, gas: 1_005_000, meanGas: 67_000 },
    { name: "addLiquidity", signature: "addLiquidity(uint256,uint256)", selector: "0x9cd441da", transactions: 5, reverted: 0, gas: 420_000, meanGas: 84_000 },
    { name: "(deploy)", signature: "(deploy)", transactions: 1, reverted: 0, gas: 515_000, meanGas: 515_000 },
  ],
  hotSlots: [
    {
      address: POOL,
      slot: "0x0",
      name: "Pool.reserve0 / Pool.reserve1 / Pool.blockTimestampLast",
      named: true,
      packed: ["reserve0", "reserve1", "blockTimestampLast"],
      type: "uint112 / uint112 / uint32",
      kind: "structural",
      kindReason: "a fixed variable: every transaction that writes it writes the same slot, whatever its inputs",
      writers: 49,
      writeShare: 0.98,
      readers: 50,
      conflicts: 49,
      writeConflicts: 0,
      functions: ["swap0for1(uint256)", "swap1for0(uint256)", "addLiquidity(uint256,uint256)"],
    },
    {
      address: POOL,
      slot: "0xa3c1274aadd82e4d12c8004c33fb244ca686dad4fcc8957fc5668588c11d9502",
      name: "Pool.balance1[0x7099…79C8]",
      named: true,
      type: "uint256",
      kind: "data-dependent",
      kindReason: "keyed by the sender or an argument: transactions conflict on it only when they share that key",
      writers: 20,
      writeShare: 0.4,
      readers: 20,
      conflicts: 19,
      writeConflicts: 0,
      functions: ["swap0for1(uint256)"],
    },
  ],
  ignoredSlots: [
    {
      address: POOL,
      slot: "0x3",
      name: "Pool._status",
      reason: "storage-reentrancy-guard",
      explanation:
        "Pool._status is a storage reentrancy guard: addLiquidity(uint256,uint256), swap0for1(uint256), swap1for0(uint256) set it and restore it in every call (1 -> 2 -> 1), so its value never changes, the engine drops the write, and calls do not conflict on it. It still costs an SSTORE pair per call.",
      transactions: 50,
      functions: ["addLiquidity(uint256,uint256)", "swap0for1(uint256)", "swap1for0(uint256)"],
    },
  ],
  conflicts: [
    { from: "swap0for1(uint256)", to: "swap0for1(uint256)", kind: "read-after-write", count: 29, rate: 1, sameBlockCount: 10, slots: ["Pool.reserve0 / Pool.reserve1 / Pool.blockTimestampLast", "Pool.balance1[0x7099…79C8]"] },
    { from: "swap0for1(uint256)", to: "swap1for0(uint256)", kind: "read-after-write", count: 14, rate: 1, sameBlockCount: 0, slots: ["Pool.reserve0 / Pool.reserve1 / Pool.blockTimestampLast"] },
    { from: "swap1for0(uint256)", to: "swap0for1(uint256)", kind: "read-after-write", count: 13, rate: 0.9285714285714286, sameBlockCount: 0, slots: ["Pool.reserve0 / Pool.reserve1 / Pool.blockTimestampLast"] },
    { from: "addLiquidity(uint256,uint256)", to: "swap0for1(uint256)", kind: "read-after-write", count: 5, rate: 1, sameBlockCount: 0, slots: ["Pool.reserve0 / Pool.reserve1 / Pool.blockTimestampLast"] },
  ],
  speedupBound: { transactions: 50, totalGas: 3_435_000, criticalPathGas: 3_368_000, bound: 1.0198931116389548, longestChain: 49 },
  replay: {
    transactions: 50,
    capped: false,
    workers: 4,
    sequentialMs: 210.4,
    parallelMs: 262.9,
    speedup: 0.8003042982122479,
    reExecutions: 46,
    incarnations: 96,
    validationAborts: 40,
    dependencyWaits: 44,
    fellBack: false,
    divergent: 0,
    divergences: [],
  },
  suggestions: [
    {
      pattern: "global-accumulator",
      slot: "Pool.reserve0 / Pool.reserve1 / Pool.blockTimestampLast",
      functions: ["swap0for1(uint256)", "swap1for0(uint256)", "addLiquidity(uint256,uint256)"],
      message:
        "Pool.reserve0 / Pool.reserve1 / Pool.blockTimestampLast is a global accumulator that swap0for1(uint256), swap1for0(uint256), addLiquidity(uint256,uint256) update in 49 transactions (98% of the contract's): every caller conflicts on it.",
      fix: "Accumulate per account or per shard and sum when read, or compute it off-chain from events; where the logic needs it (an AMM's reserves), spread the load over several instances.",
    },
    {
      pattern: "storage-reentrancy-guard",
      slot: "Pool._status",
      functions: ["addLiquidity(uint256,uint256)", "swap0for1(uint256)", "swap1for0(uint256)"],
      message:
        "Pool._status is a storage reentrancy guard in addLiquidity(uint256,uint256), swap0for1(uint256), swap1for0(uint256): it is set and restored in each call, so it does not make calls conflict, but each call pays for two SSTOREs.",
      fix: "Use a transient guard (EIP-1153): OpenZeppelin's ReentrancyGuardTransient, or a `bool transient locked` in Solidity 0.8.28 or later.",
    },
  ],
}

export const nft: ContractReport = {
  name: "Nft",
  sourceName: "contracts/Nft.sol",
  fullyQualifiedName: "contracts/Nft.sol:Nft",
  addresses: [NFT],
  transactions: 81,
  directTransactions: 80,
  deployments: 1,
  gasUsed: 3_100_000,
  functions: [
    { name: "mint", signature: "mint(address)", selector: "0x6a627842", transactions: 64, reverted: 0, gas: 2_240_000, meanGas: 35_000 },
    { name: "transferFrom", signature: "transferFrom(address,address,uint256)", selector: "0x23b872dd", transactions: 16, reverted: 1, gas: 520_000, meanGas: 32_500 },
    { name: "(deploy)", signature: "(deploy)", transactions: 1, reverted: 0, gas: 340_000, meanGas: 340_000 },
  ],
  hotSlots: [
    {
      address: NFT,
      slot: "0x6",
      name: "Nft._nextTokenId",
      named: true,
      type: "uint256",
      kind: "structural",
      kindReason: "a fixed variable: every transaction that writes it writes the same slot, whatever its inputs",
      writers: 64,
      writeShare: 0.8,
      readers: 64,
      conflicts: 63,
      writeConflicts: 0,
      functions: ["mint(address)"],
    },
    {
      address: NFT,
      slot: "0x4f6b2a9f1dd43ecac7d3f0c6c73c7bb3b88b0fbbd4ee4b3ec5c4e5c5f1e0a0b1",
      name: "Nft._owners[42]",
      named: true,
      type: "address",
      kind: "data-dependent",
      kindReason: "keyed by the sender or an argument: transactions conflict on it only when they share that key",
      writers: 3,
      writeShare: 0.0375,
      readers: 4,
      conflicts: 2,
      writeConflicts: 0,
      functions: ["mint(address)", "transferFrom(address,address,uint256)"],
    },
  ],
  ignoredSlots: [],
  conflicts: [
    { from: "mint(address)", to: "mint(address)", kind: "read-after-write", count: 63, rate: 1, sameBlockCount: 40, slots: ["Nft._nextTokenId"] },
    { from: "mint(address)", to: "transferFrom(address,address,uint256)", kind: "read-after-write", count: 2, rate: 0.125, sameBlockCount: 0, slots: ["Nft._owners[42]"] },
  ],
  speedupBound: { transactions: 80, totalGas: 2_760_000, criticalPathGas: 2_240_000, bound: 1.2321428571428572, longestChain: 65 },
  suggestions: [
    {
      pattern: "global-counter",
      slot: "Nft._nextTokenId",
      functions: ["mint(address)"],
      message: "Nft._nextTokenId is a global counter: mint(address) increment it in 64 transactions (80% of the contract's), so each waits for the one before.",
      fix: "Shard the counter (per caller, or ids derived from the caller and a per-caller nonce), or drop it and count off-chain from events.",
    },
  ],
}

export const report: AnalysisReport = {
  version: 1,
  createdAt: "2025-01-15T10:30:00.000Z",
  recordCreatedAt: "2025-01-15T10:29:12.000Z",
  totals: {
    sessions: 3,
    blocks: 236,
    parallelBlocks: 4,
    transactions: 240,
    recordedReExecutions: 57,
    gasUsed: 11_500_000,
    unattributedTransactions: 5,
  },
  contracts: [token, pool, nft],
  unknownContracts: [{ address: "0xcf7ed3acca5a467e9e704c703e8d87f634fb0fc9", transactions: 2 }],
  warnings: ["Pool: replayed the 50 transactions of one session out of 2"],
}

/** A report with text that would break HTML or Markdown if it were not escaped. */
export const hostile: AnalysisReport = {
  ...report,
  warnings: ['a "quoted" <img src=x onerror="window.__pwned=1"> warning & more', "</script><script>window.__pwned=2</script>"],
  contracts: [
    {
      ...nft,
      name: "Nft<b>",
      hotSlots: nft.hotSlots.map((s, i) => (i === 0 ? { ...s, name: "Nft.<script>window.__pwned=3</script>|`x`", note: "a note with | pipes & <tags>" } : s)),
      suggestions: [{ ...(nft.suggestions[0] as ContractReport["suggestions"][number]), message: "Use <em>this</em> | and `that` [link](javascript:alert(1))" }],
    },
  ],
}

/** No contract ran. */
export const empty: AnalysisReport = {
  ...report,
  totals: { sessions: 1, blocks: 0, parallelBlocks: 0, transactions: 0, recordedReExecutions: 0, gasUsed: 0, unattributedTransactions: 0 },
  contracts: [],
  unknownContracts: [],
  warnings: [],
}
