/**
 * Hardfork coverage: on every fork from Frontier (chainstart) to Osaka and the
 * blob-parameter forks after it, a small block runs through the engine
 * sequentially, in parallel (Block-STM on two workers), and through stock
 * ethereumjs `runBlock` as the oracle. Parallel must equal sequential, and
 * both must equal ethereumjs: gas, bloom, receipts, every transaction, and the
 * whole post-state (see fixtures/oracle.ts).
 *
 * The special parts of a block are covered in the fork where they exist, each
 * with assertions that they really happened: EIP-4788 beacon roots, EIP-2935
 * block hashes, withdrawals, blob transactions, EIP-7702 delegations, EIP-7685
 * requests, proof-of-work block and ommer rewards, the DAO fork block, and
 * transactions that are invalid for their block.
 */
import type { Common } from "@ethereumjs/common"
import {
  bigIntToHex,
  bytesToHex,
  concatBytes,
  eoaCode7702SignAuthorization,
  generateAddress,
  generateAddress2,
  hexToBytes,
  setLengthLeft,
  bigIntToBytes,
  type EOACode7702AuthorizationListBytesItem,
} from "@ethereumjs/util"
import { keccak_256 } from "@noble/hashes/sha3.js"
import { expect } from "chai"
import { Interface } from "ethers"
import secp256k1 from "secp256k1"

import { compareResults } from "../../src/engine/compare.js"
import { InvalidBlockError, MAINNET, ParallelExecutor, WorldState, commonFor, executeBlock, hardforkOf } from "../../src/engine/index.js"
import type { BlockHeaderInput, BlockInput, BlockResult, ChainConfig, Hex, TxInput, Withdrawal } from "../../src/engine/index.js"
import { signTx, testAccounts, word, type TestAccount } from "../fixtures/accounts.js"
import { compileFixtures } from "../fixtures/compile.js"
import { deployCode, envLayout, selfDestructingInit, toolCall, toolFeatures, toolRuntime, type ToolFeatures } from "../fixtures/evm.js"
import { compareWithOracle, runOracle, type OracleRun } from "../fixtures/oracle.js"
import { calldata } from "../fixtures/workloads.js"

const ETHER = 10n ** 18n
const GWEI = 10n ** 9n

/** Mainnet's hardforks in order, Frontier (chainstart) to the blob-parameter forks after Osaka. */
const FORKS = [
  "chainstart",
  "homestead",
  "dao",
  "tangerineWhistle",
  "spuriousDragon",
  "byzantium",
  "constantinople",
  "petersburg",
  "istanbul",
  "muirGlacier",
  "berlin",
  "london",
  "arrowGlacier",
  "grayGlacier",
  "paris",
  "shanghai",
  "cancun",
  "prague",
  "osaka",
  "bpo1",
  "bpo2",
] as const

const from = (fork: string) => FORKS.slice(FORKS.indexOf(fork as (typeof FORKS)[number]))

const TOOL: Hex = "0x7001000000000000000000000000000000000001"
const COINBASE: Hex = "0xc014ba5ec014ba5ec014ba5ec014ba5ec014ba5e"
const PARENT_HASH: Hex = "0x9a7e000000000000000000000000000000000000000000000000000000001111"
const GRANDPARENT_HASH: Hex = "0x9a7e000000000000000000000000000000000000000000000000000000002222"
const MIX_HASH: Hex = "0x5eed00000000000000000000000000000000000000000000000000000000abcd"
const BEACON_ROOT: Hex = "0xbeac000000000000000000000000000000000000000000000000000000000001"

const BEACON_ROOTS_ADDRESS: Hex = "0x000f3df6d732807ef1319fb7b8bb8522d0beac02"
/** The EIP-4788 contract as deployed on mainnet (also in Hardhat's EDR in node_modules). */
const BEACON_ROOTS_CODE: Hex =
  "0x3373fffffffffffffffffffffffffffffffffffffffe14604d57602036146024575f5ffd5b5f35801560495762001fff810690815414603c575f5ffd5b62001fff01545f5260205ff35b5f5ffd5b62001fff42064281555f359062001fff015500"
const HISTORY_ADDRESS: Hex = "0x0000f90827f1c53a10cb7a02335b175320002935"
/** The EIP-2935 contract as deployed on mainnet (from the EIP). */
const HISTORY_CODE: Hex =
  "0x3373fffffffffffffffffffffffffffffffffffffffe14604657602036036042575f35600143038111604257611fff81430311604257611fff9006545f5260205ff35b5f5ffd5b5f35611fff60014303065500"
const DEPOSIT_CONTRACT: Hex = "0x00000000219ab540356cbb839cbe05303d7705fa"
const WITHDRAWAL_REQUESTS: Hex = "0x00000961ef480eb55e80d19ad83579a64c007002"
const CONSOLIDATION_REQUESTS: Hex = "0x0000bbddc7ce488642fb579f8b00f3a590007251"
const SYSTEM_WINDOW = 8191n

/** A fresh address, never in any pre-state. */
function fresh(tag: number): Hex {
  return `0x${"f7e5".padEnd(32, "0")}${tag.toString(16).padStart(8, "0")}`
}

function slot(n: bigint): Hex {
  return `0x${n.toString(16).padStart(64, "0")}`
}

function hashHex(bytes: Uint8Array): Hex {
  return bytesToHex(keccak_256(bytes)) as Hex
}

interface TxOptions {
  readonly to?: Hex
  readonly data?: Uint8Array
  readonly value?: bigint
  readonly gasLimit?: bigint
  readonly type?: 0 | 1 | 2 | 3 | 4
  /** Overrides the sender's next nonce (the scenario's count is left alone). */
  readonly nonce?: bigint
  readonly accessList?: { address: Hex; storageKeys: Hex[] }[]
  readonly blobVersionedHashes?: Hex[]
  readonly maxFeePerBlobGas?: bigint
  readonly authorizationList?: EOACode7702AuthorizationListBytesItem[]
  /** Sign under another fork's rules (to build transactions this fork rejects). */
  readonly common?: Common
}

/** A pre-state and the means to build a block on it for one hardfork. */
class Scenario {
  readonly common: Common
  readonly features: ToolFeatures
  readonly state = new WorldState()
  readonly accounts: TestAccount[]
  private readonly nonces = new Map<Hex, bigint>()
  private typeCounter = 0
  /** Give each transaction its sender and payee, as a caller that knows them would (the executor then skips recovery). */
  hints = false

  constructor(
    readonly hardfork: string,
    readonly chain: ChainConfig = { chainId: 31337n, hardfork },
  ) {
    this.common = commonFor(chain, hardfork)
    this.features = toolFeatures(this.common)
    this.accounts = testAccounts(10, "hardforks")
    for (const account of this.accounts) this.put(account.address, { balance: 1000n * ETHER })
    this.put(TOOL, { code: toolRuntime(this.features), storage: new Map([[1n, 5n], [2n, 7n]]) })
  }

  get postMerge(): boolean {
    return this.common.gteHardfork("paris")
  }

  put(address: Hex, fields: { nonce?: bigint; balance?: bigint; code?: Uint8Array; storage?: Map<bigint, bigint> }): void {
    const code = fields.code ?? new Uint8Array()
    this.state.applyDiff(
      new Map([
        [
          address,
          {
            address,
            deleted: false,
            nonce: fields.nonce ?? 0n,
            balance: fields.balance ?? 0n,
            codeHash: code.length > 0 ? hashHex(code) : (`0x${"00".repeat(32)}` as Hex),
            ...(code.length > 0 ? { code: bytesToHex(code) as Hex } : {}),
            storageCleared: false,
            storage: new Map([...(fields.storage ?? new Map<bigint, bigint>())].map(([k, v]) => [slot(k), v])),
          },
        ],
      ]),
    )
    if (fields.nonce !== undefined) this.nonces.set(address, fields.nonce)
  }

  nextNonce(account: TestAccount | Hex): bigint {
    const address = typeof account === "string" ? account : account.address
    return this.nonces.get(address) ?? this.state.accounts.get(address)?.nonce ?? 0n
  }

  /** The address a creation by `account` gets with its next nonce. */
  createdBy(account: TestAccount): Hex {
    return bytesToHex(generateAddress(hexToBytes(account.address), bigIntToBytes(this.nextNonce(account)))) as Hex
  }

  /** Transaction types valid in this fork, cycled through for variety. */
  private defaultType(): 0 | 1 | 2 {
    const types: (0 | 1 | 2)[] = this.common.gteHardfork("london") ? [2, 0, 1, 2] : this.common.gteHardfork("berlin") ? [0, 1] : [0]
    return types[this.typeCounter++ % types.length] as 0 | 1 | 2
  }

  tx(sender: TestAccount, options: TxOptions = {}): TxInput {
    const type = options.type ?? this.defaultType()
    const nonce = options.nonce ?? this.nextNonce(sender)
    if (options.nonce === undefined) this.nonces.set(sender.address, nonce + 1n)
    const base = {
      nonce,
      gasLimit: options.gasLimit ?? 1_000_000n,
      data: options.data ?? new Uint8Array(),
      value: options.value ?? 0n,
      ...(options.to !== undefined ? { to: options.to } : {}),
    }
    const chainId = this.chain.chainId
    const feeMarket = { chainId, maxFeePerGas: 3n * GWEI, maxPriorityFeePerGas: GWEI, accessList: options.accessList ?? [] }
    const common = options.common ?? this.common
    const raw = this.sign(common, type, base, feeMarket, options, sender)
    if (!this.hints) return raw
    return { ...raw, sender: sender.address, ...(options.to !== undefined && (options.value ?? 0n) > 0n ? { payee: options.to.toLowerCase() as Hex } : {}) }
  }

  private sign(
    common: Common,
    type: 0 | 1 | 2 | 3 | 4,
    base: { nonce: bigint; gasLimit: bigint; data: Uint8Array; value: bigint; to?: Hex },
    feeMarket: { chainId: bigint; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint; accessList: { address: Hex; storageKeys: Hex[] }[] },
    options: TxOptions,
    sender: TestAccount,
  ): TxInput {
    const chainId = this.chain.chainId
    switch (type) {
      case 0:
        return signTx(common, { ...base, gasPrice: 2n * GWEI }, sender)
      case 1:
        return signTx(common, { ...base, type: 1, chainId, gasPrice: 2n * GWEI, accessList: options.accessList ?? [] }, sender)
      case 2:
        return signTx(common, { ...base, type: 2, ...feeMarket }, sender)
      case 3:
        return signTx(
          common,
          {
            ...base,
            type: 3,
            ...feeMarket,
            maxFeePerBlobGas: options.maxFeePerBlobGas ?? 1000n,
            blobVersionedHashes: options.blobVersionedHashes ?? [],
          },
          sender,
        )
      case 4:
        return signTx(common, { ...base, type: 4, ...feeMarket, authorizationList: options.authorizationList ?? [] }, sender)
    }
  }

  authorize(signer: TestAccount, address: Hex, nonce: bigint, chainId: bigint = this.chain.chainId): EOACode7702AuthorizationListBytesItem {
    return eoaCode7702SignAuthorization({ chainId: bigIntToHex(chainId), address, nonce: bigIntToHex(nonce) }, signer.key)
  }

  header(overrides: Partial<BlockHeaderInput> = {}): BlockHeaderInput {
    const number = overrides.number ?? (this.postMerge ? 20_000n : 1_000n)
    return {
      number,
      timestamp: 1_700_000_000n + number * 12n,
      coinbase: COINBASE,
      gasLimit: 30_000_000n,
      mixHash: MIX_HASH,
      parentHash: PARENT_HASH,
      ...(this.postMerge ? {} : { difficulty: 131_072n }),
      ...(this.common.gteHardfork("london") ? { baseFeePerGas: GWEI } : {}),
      ...(this.common.gteHardfork("cancun") ? { excessBlobGas: 0n, blobGasUsed: 0n, parentBeaconBlockRoot: BEACON_ROOT } : {}),
      ...overrides,
    }
  }

  block(transactions: TxInput[], header: Partial<BlockHeaderInput> = {}, extra: Partial<BlockInput> = {}): BlockInput {
    const h = this.header(header)
    return {
      header: h,
      transactions,
      blockHashes: new Map([
        [h.number - 1n, h.parentHash ?? PARENT_HASH],
        [h.number - 2n, GRANDPARENT_HASH],
      ]),
      ...extra,
    }
  }
}

interface Checked {
  readonly sequential: BlockResult
  readonly parallel: BlockResult
  readonly oracle: OracleRun
  /** The pre-state with our diff applied. */
  readonly post: WorldState
}

const executor = new ParallelExecutor({ workers: 2 })
/** Parallel runs per block (HARDFORKS_PARALLEL_REPEAT=50 hunts for races; each run must equal the sequential one). */
const PARALLEL_REPEAT = Math.max(1, Number(process.env["HARDFORKS_PARALLEL_REPEAT"] ?? 1))

function report(problems: string[]): string[] {
  return problems.length > 40 ? [...problems.slice(0, 40), `… and ${problems.length - 40} more`] : problems
}

/**
 * Runs the block sequentially, in parallel and through ethereumjs, and
 * asserts they agree. Transactions the engine leaves out (exclude mode) are
 * left out of the oracle's block too.
 */
async function checkBlock(
  s: Scenario,
  block: BlockInput,
  options: { invalidTransactions?: "throw" | "exclude"; extraAddresses?: Hex[]; smallBlock?: boolean } = {},
): Promise<Checked> {
  const invalidTransactions = options.invalidTransactions ?? "throw"
  const sequential = await executeBlock(s.state, block, { mode: "sequential", chain: s.chain, invalidTransactions })
  const parallel = await executor.execute(s.state, block, s.chain, { mode: "parallel", minParallelTransactions: 2, invalidTransactions })
  const kept = { ...block, transactions: block.transactions.filter((_, i) => sequential.transactions[i]?.included !== false) }
  const oracle = await runOracle(s.state, kept, s.chain)
  const compareOptions = { extraAddresses: [...(options.extraAddresses ?? []), ...Array.from({ length: 100 }, (_, i) => fresh(i))] }
  const problems = [
    ...(parallel.stats.fellBack && options.smallBlock !== true ? [`parallel execution fell back: ${parallel.stats.fallbackReason}`] : []),
    ...compareResults(sequential, parallel).map((p) => `parallel vs sequential: ${p}`),
    ...(await compareWithOracle(s.state, kept, sequential, oracle, compareOptions)).map((p) => `sequential vs ethereumjs: ${p}`),
  ]
  if (compareResults(sequential, parallel).length > 0) {
    problems.push(...(await compareWithOracle(s.state, kept, parallel, oracle, compareOptions)).map((p) => `parallel vs ethereumjs: ${p}`))
  }
  // With the exact state root asked for, the engine must reproduce ethereumjs' roots on every fork,
  // including pre-Byzantium receipts, which hold the state root after each transaction.
  const rooted = await executor.execute(s.state, block, s.chain, { mode: "parallel", minParallelTransactions: 2, invalidTransactions, stateRoot: true })
  if (rooted.stateRoot !== bytesToHex(oracle.result.stateRoot)) problems.push(`stateRoot: ours ${rooted.stateRoot} != ethereumjs ${bytesToHex(oracle.result.stateRoot)}`)
  if (rooted.receiptsRoot !== bytesToHex(oracle.result.receiptsRoot)) {
    problems.push(`receiptsRoot with stateRoot: true: ours ${rooted.receiptsRoot} != ethereumjs ${bytesToHex(oracle.result.receiptsRoot)}`)
  }
  for (let run = 1; run < PARALLEL_REPEAT && problems.length === 0; run++) {
    const again = await executor.execute(s.state, block, s.chain, { mode: "parallel", minParallelTransactions: 2, invalidTransactions })
    problems.push(...compareResults(sequential, again).map((p) => `parallel run ${run + 1} vs sequential: ${p}`))
  }
  expect(report(problems), `${s.hardfork}: the engine differs`).to.deep.equal([])
  expect(parallel.stats.mode).to.equal(options.smallBlock === true ? "sequential" : "parallel")
  const post = s.state.clone()
  post.applyDiff(sequential.stateDiff)
  return { sequential, parallel, oracle, post }
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error("expected a rejection")
}

function storageOf(post: WorldState, address: Hex, n: bigint): bigint {
  return post.accounts.get(address)?.storage.get(slot(n)) ?? 0n
}

function balanceOf(post: WorldState, address: Hex): bigint | undefined {
  return post.accounts.get(address)?.balance
}

/** The env values op 4 stored at `base`, by name. */
function envAt(post: WorldState, address: Hex, features: ToolFeatures, base: bigint): Record<string, bigint> {
  return Object.fromEntries(envLayout(features).map((name, i) => [name, storageOf(post, address, base + BigInt(i))]))
}

/** 128 bytes for ECRECOVER: a real signature by `account` over a fixed hash. */
function ecrecoverInput(account: TestAccount): Uint8Array {
  const hash = keccak_256(new TextEncoder().encode("hardfork coverage"))
  const { signature, recid } = secp256k1.ecdsaSign(hash, account.key)
  return concatBytes(hash, word(BigInt(27 + recid)), signature.subarray(0, 32), signature.subarray(32, 64))
}

/** MODEXP input computing 3^5 mod 7 with one-byte operands. */
const MODEXP_INPUT = concatBytes(word(1n), word(1n), word(1n), Uint8Array.of(3, 5, 7))

/**
 * The standard block of a fork: value transfers (to fresh and to empty
 * accounts), a deployment to an address paid beforehand and a call into it,
 * storage writes and a clear, a failing call, precompile calls, SELFDESTRUCT
 * (of an old account, to itself, to the coinbase, and of one created in the
 * same transaction), internal creations and value transfers, an environment
 * probe, the coinbase's balance read and paid into mid-block, and whatever
 * the fork adds (access lists, fee-market transactions, CREATE2, transient
 * storage, Solidity contracts). On even variants the coinbase is one of the
 * senders; on odd ones every transaction carries its sender and payee.
 */
function standardCase(hardfork: string, variant: number, chain?: ChainConfig, header: Partial<BlockHeaderInput> = {}) {
  const s = new Scenario(hardfork, chain)
  s.hints = variant % 2 === 1
  const f = s.features
  const a = s.accounts as [TestAccount, TestAccount, TestAccount, TestAccount, TestAccount, TestAccount, TestAccount, TestAccount, TestAccount, TestAccount]
  const victim: Hex = "0x7001000000000000000000000000000000000002"
  const empty: Hex = "0x7001000000000000000000000000000000000003"
  const selfKiller: Hex = "0x7001000000000000000000000000000000000007"
  const payer: Hex = "0x7001000000000000000000000000000000000008"
  s.put(payer, { balance: 3n * ETHER, code: toolRuntime(f) })
  s.put(victim, { balance: ETHER, code: toolRuntime(f), storage: new Map([[1n, 1n]]) })
  s.put(selfKiller, { balance: 2n * ETHER, code: toolRuntime(f), storage: new Map([[1n, 1n]]) })
  s.put(empty, {})
  const [f1, f2, f3, f4, f5] = [fresh(1), fresh(2), fresh(3), fresh(4), fresh(5)]
  const coinbase = variant % 2 === 0 ? a[7].address : COINBASE
  const txs: TxInput[] = []
  txs.push(s.tx(a[0], { to: f1, value: ETHER, gasLimit: 21_000n }))
  txs.push(s.tx(a[1], { to: f2, value: 0n, gasLimit: 21_000n }))
  txs.push(s.tx(a[2], { to: empty, value: 0n }))
  const created = s.createdBy(a[0])
  // The address a0 is about to deploy to is paid first: creation keeps the balance.
  txs.push(s.tx(a[9], { to: created, value: 13n, gasLimit: 21_000n }))
  txs.push(s.tx(a[0], { data: deployCode(toolRuntime(f)), gasLimit: 1_000_000n }))
  txs.push(s.tx(a[3], { to: created, data: toolCall(1, 10n, 0xabcn) }))
  txs.push(s.tx(a[4], { to: TOOL, data: toolCall(1, 1n, 0n) }))
  txs.push(s.tx(a[5], { to: TOOL, data: toolCall(0) }))
  txs.push(s.tx(a[6], { to: TOOL, data: toolCall(2, 4n, 20n, word(0x4242n)) }))
  txs.push(s.tx(a[7], { to: TOOL, data: toolCall(4, f1, 0x100n), value: 3n }))
  txs.push(s.tx(a[1], { to: victim, data: toolCall(3, f3) }))
  txs.push(s.tx(a[2], { to: TOOL, data: toolCall(6, 0n, 30n, selfDestructingInit(f4)), gasLimit: 500_000n }))
  txs.push(s.tx(a[3], { to: TOOL, data: toolCall(2, f5, 40n), value: 5n }))
  txs.push(s.tx(a[4], { to: TOOL, data: toolCall(2, 1n, 50n, ecrecoverInput(a[9])) }))
  if (s.common.gteHardfork("byzantium")) txs.push(s.tx(a[5], { to: TOOL, data: toolCall(2, 5n, 60n, MODEXP_INPUT) }))
  if (f.constantinople) txs.push(s.tx(a[6], { to: TOOL, data: toolCall(7, 7n, 70n, deployCode(toolRuntime(f), 2n)), gasLimit: 1_000_000n }))
  if (s.common.gteHardfork("berlin")) {
    txs.push(s.tx(a[8], { type: 1, to: TOOL, data: toolCall(1, 2n, 8n), accessList: [{ address: TOOL, storageKeys: [slot(2n)] }] }))
  }
  let counter: Hex | undefined
  if (f.cancun) {
    txs.push(s.tx(a[8], { to: TOOL, data: toolCall(5, 9n, 80n) }))
    txs.push(s.tx(a[9], { to: TOOL, data: toolCall(5, 9n, 81n) }))
    const Counter = compileFixtures()["Counter"]!
    counter = s.createdBy(a[9])
    txs.push(s.tx(a[9], { data: hexToBytes(Counter.bytecode as Hex), gasLimit: 1_000_000n }))
    txs.push(s.tx(a[0], { to: counter, data: calldata("increment()") }))
    txs.push(s.tx(a[1], { to: counter, data: calldata("increment()") }))
  }
  if (f.osaka) txs.push(s.tx(a[2], { to: TOOL, data: toolCall(2, 0x100n, 90n, new Uint8Array(160).fill(7)) }))
  // The coinbase's balance, read mid-block (it has been credited by every fee so far), then paid into.
  const actualCoinbase = header.coinbase ?? coinbase
  txs.push(s.tx(a[8], { to: TOOL, data: toolCall(4, actualCoinbase, 0x500n) }))
  txs.push(s.tx(a[9], { to: actualCoinbase, value: 7n, gasLimit: 21_000n }))
  txs.push(s.tx(a[5], { to: TOOL, data: toolCall(2, actualCoinbase, 0x510n), value: 11n }))
  txs.push(s.tx(a[6], { to: payer, data: toolCall(3, actualCoinbase) }))
  // SELFDESTRUCT to itself; and calldata to an account without code (the EIP-7623 floor applies from Prague).
  txs.push(s.tx(a[3], { to: selfKiller, data: toolCall(3, selfKiller) }))
  txs.push(s.tx(a[4], { to: fresh(6), data: new Uint8Array(1000).fill(0xff), gasLimit: 100_000n }))
  const block = s.block(txs, { coinbase, ...header })
  return { s, block, created, victim, selfKiller, empty, f1, f2, f3, f4, f5, counter }
}

describe("engine: every hardfork matches stock ethereumjs runBlock", function () {
  this.timeout(300_000)
  after(() => executor.close())

  describe("a standard block on each fork", function () {
    FORKS.forEach((fork, index) => {
      it(fork, async function () {
        const c = standardCase(fork, index)
        const { sequential, post } = await checkBlock(c.s, c.block)
        const f = c.s.features
        const common = c.s.common
        const results = sequential.transactions
        expect(results.every((t) => t.included)).to.equal(true)

        // What the block did, on this fork's rules (so that matching ethereumjs means something).
        expect(results[7]?.error, "the failing call").to.be.a("string")
        if (common.gteHardfork("byzantium")) expect(results[7]?.receipt.status).to.equal(0)
        expect(results[4]?.createdAddress).to.equal(c.created)
        expect(balanceOf(post, c.created), "the deployment keeps the balance paid to its address").to.equal(13n)
        expect(storageOf(post, c.created, 0n)).to.equal(1n)
        expect(storageOf(post, c.created, 10n)).to.equal(0xabcn)
        expect(storageOf(post, TOOL, 1n)).to.equal(0n)
        expect(storageOf(post, TOOL, 21n), "identity call succeeded").to.equal(1n)
        expect(storageOf(post, TOOL, 20n)).to.equal(0x4242n)
        expect(balanceOf(post, c.f1)).to.equal(ETHER)
        expect(balanceOf(post, c.f3)).to.equal(ETHER)
        expect(balanceOf(post, c.f5)).to.equal(5n)
        const env = envAt(post, TOOL, f, 0x100n)
        expect(env["number"]).to.equal(c.block.header.number)
        expect(env["timestamp"]).to.equal(c.block.header.timestamp)
        expect(env["blockhash(n-1)"]).to.equal(BigInt(PARENT_HASH))
        expect(env["balance(a)"], "the probe sees the earlier transfer").to.equal(ETHER)
        expect(env["difficulty"]).to.equal(c.s.postMerge ? BigInt(MIX_HASH) : 131_072n)
        if (f.istanbul) expect(env["chainid"]).to.equal(31337n)
        if (f.london) expect(env["basefee"]).to.equal(GWEI)
        if (f.osaka) expect(env["clz(0x1234)"]).to.equal(256n - 13n)
        if (common.gteHardfork("byzantium")) expect(storageOf(post, TOOL, 60n) >> 248n, "modexp 3^5 mod 7").to.equal(5n)
        if (f.constantinople) expect(storageOf(post, TOOL, 70n)).to.not.equal(0n)
        if (common.gteHardfork("spuriousDragon")) {
          expect(post.accounts.has(c.f2), "EIP-161: a zero transfer creates no account").to.equal(false)
          expect(post.accounts.has(c.empty), "EIP-161: a touched empty account is removed").to.equal(false)
          expect(post.accounts.has(c.f4)).to.equal(false)
        } else {
          expect(post.accounts.has(c.f2), "before EIP-161 a zero transfer creates an empty account").to.equal(true)
          expect(post.accounts.has(c.empty)).to.equal(true)
        }
        if (f.cancun) {
          expect(balanceOf(post, c.selfKiller), "EIP-6780: SELFDESTRUCT to itself keeps the balance").to.equal(2n * ETHER)
          expect(post.accounts.has(c.victim), "EIP-6780: SELFDESTRUCT of an old contract keeps it").to.equal(true)
          expect(balanceOf(post, c.victim)).to.equal(0n)
          expect(storageOf(post, TOOL, 80n), "transient storage does not leak into the next transaction").to.equal(0n)
          expect(storageOf(post, TOOL, 81n)).to.equal(0n)
          expect(storageOf(post, c.counter!, 0n), "Counter.count").to.equal(2n)
        } else {
          expect(post.accounts.has(c.victim), "SELFDESTRUCT removes the contract").to.equal(false)
          expect(post.accounts.has(c.selfKiller), "SELFDESTRUCT to itself removes it and burns the balance").to.equal(false)
        }
        // Paid to the coinbase by transactions: a transfer, a CALL with value, a SELFDESTRUCT.
        const paidIn = 7n + 11n + 3n * ETHER
        if (!c.s.postMerge && c.block.header.coinbase === COINBASE) {
          const reward = common.gteHardfork("constantinople") ? 2n * ETHER : common.gteHardfork("byzantium") ? 3n * ETHER : 5n * ETHER
          expect((balanceOf(post, COINBASE) ?? 0n) - paidIn > reward, "block reward").to.equal(true)
        }
        if (c.s.postMerge && c.block.header.coinbase === COINBASE) {
          expect((balanceOf(post, COINBASE) ?? 0n) - paidIn < ETHER / 10n, "no block reward after the merge").to.equal(true)
        }
      })
    })
  })

  describe("the mainnet schedule (chain id 1, fork by number and timestamp)", function () {
    const points: [string, bigint, bigint][] = [
      ["homestead", 1_150_000n, 1_457_981_393n],
      ["tangerineWhistle", 2_463_000n, 1_476_796_771n],
      ["byzantium", 4_370_000n, 1_508_131_331n],
      ["petersburg", 7_280_000n, 1_551_383_524n],
      ["berlin", 12_244_000n, 1_618_481_223n],
      ["london", 12_965_000n, 1_628_166_822n],
      ["paris", 15_537_394n, 1_663_224_179n],
      ["shanghai", 17_034_870n, 1_681_338_455n],
      ["cancun", 19_426_587n, 1_710_338_135n],
      ["prague", 22_431_084n, 1_746_612_311n],
      ["osaka", 23_935_694n, 1_764_798_551n],
      ["bpo2", 24_200_000n, 1_767_747_671n],
    ]
    points.forEach(([expected, number, timestamp], index) => {
      it(`block ${number} runs as ${expected}`, async function () {
        const hardfork = hardforkOf(MAINNET, { number, timestamp })
        expect(hardfork).to.equal(expected)
        const c = standardCase(hardfork, index, MAINNET, { number, timestamp })
        expect(c.s.chain.chainId).to.equal(1n)
        await checkBlock(c.s, c.block)
      })
    })
  })

  describe("proof-of-work rewards", function () {
    const rewards: [string, bigint][] = [
      ["chainstart", 5n * ETHER],
      ["homestead", 5n * ETHER],
      ["spuriousDragon", 5n * ETHER],
      ["byzantium", 3n * ETHER],
      ["constantinople", 2n * ETHER],
      ["grayGlacier", 2n * ETHER],
    ]
    for (const [fork, reward] of rewards) {
      it(`${fork}: block and ommer rewards (${reward / ETHER} ETH)`, async function () {
        const s = new Scenario(fork)
        const [a0, a1, a2] = s.accounts as [TestAccount, TestAccount, TestAccount]
        const uncle = fresh(20)
        const txs = [s.tx(a0, { to: fresh(21), value: ETHER, gasLimit: 21_000n }), s.tx(a1, { to: TOOL, data: toolCall(1, 3n, 4n) }), s.tx(a2, { to: TOOL, data: toolCall(1, 5n, 6n) })]
        const block = s.block(txs, {}, { ommers: [{ number: 999n, coinbase: uncle }, { number: 998n, coinbase: a1.address }] })
        const { sequential, post } = await checkBlock(s, block)
        const tip = s.common.gteHardfork("london") ? GWEI : 2n * GWEI
        const fees = sequential.gasUsed * tip
        expect(balanceOf(post, COINBASE)).to.equal(reward + (2n * reward) / 32n + fees)
        expect(balanceOf(post, uncle)).to.equal((7n * reward) / 8n)
        const a1Paid = (sequential.transactions[1]?.gasUsed ?? 0n) * 2n * GWEI
        expect(balanceOf(post, a1.address)).to.equal(1000n * ETHER - a1Paid + (6n * reward) / 8n)
      })
    }

    it("paris: no rewards and ommers are ignored after the merge", async function () {
      const s = new Scenario("paris")
      const [a0, a1] = s.accounts as [TestAccount, TestAccount]
      const block = s.block([s.tx(a0, { to: fresh(22), value: 1n, gasLimit: 21_000n }), s.tx(a1, { to: TOOL, data: toolCall(1, 3n, 4n) })])
      const { sequential, post } = await checkBlock(s, block)
      expect(balanceOf(post, COINBASE)).to.equal(sequential.gasUsed * GWEI)
    })
  })

  describe("blocks without transactions", function () {
    it("chainstart: only the block and ommer rewards", async function () {
      const s = new Scenario("chainstart")
      const block = s.block([], {}, { ommers: [{ number: 999n, coinbase: fresh(23) }] })
      const { post, sequential } = await checkBlock(s, block, { smallBlock: true })
      expect(sequential.gasUsed).to.equal(0n)
      expect(balanceOf(post, COINBASE)).to.equal(5n * ETHER + (5n * ETHER) / 32n)
      expect(balanceOf(post, fresh(23))).to.equal((7n * 5n * ETHER) / 8n)
    })

    it("shanghai: only withdrawals", async function () {
      const s = new Scenario("shanghai")
      const block = s.block([], {}, { withdrawals: [{ index: 0n, validatorIndex: 0n, address: fresh(24), amount: 4n }] })
      const { post, sequential } = await checkBlock(s, block, { smallBlock: true })
      expect(sequential.stateDiff.size).to.equal(1)
      expect(balanceOf(post, fresh(24))).to.equal(4n * GWEI)
    })

    it("prague: only the system operations", async function () {
      const s = new Scenario("prague")
      s.put(BEACON_ROOTS_ADDRESS, { code: hexToBytes(BEACON_ROOTS_CODE) })
      s.put(HISTORY_ADDRESS, { code: hexToBytes(HISTORY_CODE) })
      const { sequential } = await checkBlock(s, s.block([]), { smallBlock: true })
      expect([...sequential.stateDiff.keys()].sort()).to.deep.equal([HISTORY_ADDRESS, BEACON_ROOTS_ADDRESS].sort())
      expect(sequential.requestsHash).to.match(/^0x[0-9a-f]{64}$/)
    })

    // Not a valid block (an ommer may be at most 6 generations back, so its reward is never 0), so no
    // oracle comparison: ethereumjs' runBlock credits the zero reward without EIP-161 cleanup and leaves
    // an empty account; the engine (frame.ts `reward`) leaves nothing, as geth would.
    it("spuriousDragon: an ommer 8 generations back (zero reward) leaves no empty account", async function () {
      const s = new Scenario("spuriousDragon")
      const block = s.block([], {}, { ommers: [{ number: 992n, coinbase: fresh(25) }] })
      const result = await executeBlock(s.state, block, { mode: "sequential", chain: s.chain })
      expect(result.stateDiff.has(fresh(25))).to.equal(false)
      expect(result.stateDiff.get(block.header.coinbase)?.balance).to.be.a("bigint")
    })
  })

  describe("the DAO fork block", function () {
    // One of the accounts the DAO fork drains, and the refund contract it pays.
    const daoAccount: Hex = "0xd4fe7bc31cedb7bfb8a345f31e668033056b2728"
    const refund: Hex = "0xbf4ed7b27f1d666546e30d74d50d173d20bca754"
    for (const chain of [{ chainId: 31337n, hardfork: "dao" }, MAINNET]) {
      it(`moves the DAO balances to the refund contract at block 1,920,000 (${chain.hardfork === "mainnet" ? "mainnet schedule" : "fixed fork"})`, async function () {
        const s = new Scenario("dao", chain)
        s.put(daoAccount, { balance: 100n * ETHER })
        const [a0, a1] = s.accounts as [TestAccount, TestAccount]
        const txs = [s.tx(a0, { to: fresh(30), value: ETHER, gasLimit: 21_000n }), s.tx(a1, { to: TOOL, data: toolCall(1, 3n, 4n) })]
        const block = s.block(txs, { number: 1_920_000n, timestamp: 1_469_020_840n, extraData: bytesToHex(new TextEncoder().encode("dao-hard-fork")) as Hex })
        const { post } = await checkBlock(s, block, { extraAddresses: [daoAccount, refund] })
        expect(balanceOf(post, refund)).to.equal(100n * ETHER)
        expect(balanceOf(post, daoAccount)).to.equal(0n)
      })
    }
  })

  describe("EIP-4788 beacon block roots", function () {
    for (const fork of from("cancun")) {
      it(`${fork}: the system write lands in the ring buffer and transactions read it`, async function () {
        const s = new Scenario(fork)
        const header = s.header()
        const ts = header.timestamp
        const index = ts % SYSTEM_WINDOW
        // An old root in the same ring slot, which the block overwrites.
        s.put(BEACON_ROOTS_ADDRESS, { code: hexToBytes(BEACON_ROOTS_CODE), storage: new Map([[index, ts - SYSTEM_WINDOW], [index + SYSTEM_WINDOW, 0xdeadn]]) })
        const [a0, a1, a2] = s.accounts as [TestAccount, TestAccount, TestAccount]
        const txs = [
          s.tx(a0, { to: TOOL, data: toolCall(2, BEACON_ROOTS_ADDRESS, 100n, word(ts)) }),
          s.tx(a1, { to: TOOL, data: toolCall(2, BEACON_ROOTS_ADDRESS, 110n, word(ts - SYSTEM_WINDOW)) }),
          s.tx(a2, { to: fresh(40), value: 1n, gasLimit: 21_000n }),
        ]
        const { sequential, post } = await checkBlock(s, s.block(txs))
        const written = sequential.stateDiff.get(BEACON_ROOTS_ADDRESS)
        expect(written?.storage.get(slot(index))).to.equal(ts)
        expect(written?.storage.get(slot(index + SYSTEM_WINDOW))).to.equal(BigInt(BEACON_ROOT))
        expect(storageOf(post, TOOL, 101n), "get(timestamp) succeeds").to.equal(1n)
        expect(storageOf(post, TOOL, 100n)).to.equal(BigInt(BEACON_ROOT))
        expect(storageOf(post, TOOL, 111n), "an overwritten timestamp reverts").to.equal(0n)
      })
    }

    it("cancun: nothing is written when the contract has no code", async function () {
      const s = new Scenario("cancun")
      const [a0, a1] = s.accounts as [TestAccount, TestAccount]
      const txs = [s.tx(a0, { to: TOOL, data: toolCall(2, BEACON_ROOTS_ADDRESS, 100n, word(1n)) }), s.tx(a1, { to: fresh(41), value: 1n, gasLimit: 21_000n })]
      const { sequential } = await checkBlock(s, s.block(txs))
      expect(sequential.stateDiff.has(BEACON_ROOTS_ADDRESS)).to.equal(false)
    })

    it("shanghai: no beacon root write before Cancun, even with the contract present", async function () {
      const s = new Scenario("shanghai")
      s.put(BEACON_ROOTS_ADDRESS, { code: hexToBytes(BEACON_ROOTS_CODE) })
      const [a0, a1] = s.accounts as [TestAccount, TestAccount]
      const txs = [s.tx(a0, { to: fresh(42), value: 1n, gasLimit: 21_000n }), s.tx(a1, { to: TOOL, data: toolCall(1, 3n, 4n) })]
      const { sequential } = await checkBlock(s, s.block(txs, { parentBeaconBlockRoot: BEACON_ROOT }))
      expect(sequential.stateDiff.has(BEACON_ROOTS_ADDRESS)).to.equal(false)
    })
  })

  describe("EIP-2935 block hashes in state", function () {
    for (const fork of from("prague")) {
      it(`${fork}: the parent hash is stored at (number - 1) % 8191 and served to transactions`, async function () {
        const s = new Scenario(fork)
        s.put(HISTORY_ADDRESS, { code: hexToBytes(HISTORY_CODE) })
        const parent: Hex = "0x2935000000000000000000000000000000000000000000000000000000000777"
        // A number past the window, so that the ring index and the number differ.
        const number = 3n * SYSTEM_WINDOW + 100n
        const [a0, a1, a2] = s.accounts as [TestAccount, TestAccount, TestAccount]
        const txs = [
          s.tx(a0, { to: TOOL, data: toolCall(2, HISTORY_ADDRESS, 100n, word(number - 1n)) }),
          s.tx(a1, { to: TOOL, data: toolCall(2, HISTORY_ADDRESS, 110n, word(number)) }),
          s.tx(a2, { to: TOOL, data: toolCall(4, fresh(50), 0x100n) }),
        ]
        const { sequential, post } = await checkBlock(s, s.block(txs, { number, parentHash: parent }))
        expect(sequential.stateDiff.get(HISTORY_ADDRESS)?.storage.get(slot((number - 1n) % SYSTEM_WINDOW))).to.equal(BigInt(parent))
        expect(storageOf(post, TOOL, 101n), "get(number - 1) succeeds").to.equal(1n)
        expect(storageOf(post, TOOL, 100n)).to.equal(BigInt(parent))
        expect(storageOf(post, TOOL, 111n), "get(number) reverts").to.equal(0n)
        expect(envAt(post, TOOL, s.features, 0x100n)["blockhash(n-1)"], "BLOCKHASH still works").to.equal(BigInt(parent))
      })
    }

    it("cancun: no history write before Prague", async function () {
      const s = new Scenario("cancun")
      s.put(HISTORY_ADDRESS, { code: hexToBytes(HISTORY_CODE) })
      const [a0, a1] = s.accounts as [TestAccount, TestAccount]
      const txs = [s.tx(a0, { to: fresh(51), value: 1n, gasLimit: 21_000n }), s.tx(a1, { to: TOOL, data: toolCall(1, 3n, 4n) })]
      const { sequential } = await checkBlock(s, s.block(txs))
      expect(sequential.stateDiff.has(HISTORY_ADDRESS)).to.equal(false)
    })
  })

  describe("EIP-4895 withdrawals", function () {
    for (const fork of from("shanghai")) {
      it(`${fork}: credits in gwei, creates fresh accounts, and drops zero withdrawals to empty accounts`, async function () {
        const s = new Scenario(fork)
        const [a0, a1, a2] = s.accounts as [TestAccount, TestAccount, TestAccount]
        const emptyAccount: Hex = "0x7001000000000000000000000000000000000004"
        s.put(emptyAccount, {})
        const [w1, w2] = [fresh(60), fresh(61)]
        const txs = [
          s.tx(a0, { to: fresh(62), value: ETHER, gasLimit: 21_000n }),
          s.tx(a1, { to: TOOL, data: toolCall(4, w2, 0x100n) }),
          s.tx(a2, { to: a0.address, value: 1n, gasLimit: 21_000n }),
        ]
        const withdrawals: Withdrawal[] = [
          { index: 0n, validatorIndex: 10n, address: w1, amount: 0n },
          { index: 1n, validatorIndex: 11n, address: w2, amount: 5n },
          { index: 2n, validatorIndex: 12n, address: a0.address, amount: GWEI },
          { index: 3n, validatorIndex: 13n, address: emptyAccount, amount: 0n },
          { index: 4n, validatorIndex: 14n, address: TOOL, amount: 7n },
          { index: 5n, validatorIndex: 15n, address: w2, amount: 3n },
          { index: 6n, validatorIndex: 16n, address: COINBASE, amount: 11n },
        ]
        const { sequential, post } = await checkBlock(s, s.block(txs, {}, { withdrawals }))
        expect(post.accounts.has(w1), "a zero withdrawal creates no account").to.equal(false)
        expect(post.accounts.has(emptyAccount), "a zero withdrawal removes an empty account").to.equal(false)
        expect(balanceOf(post, w2)).to.equal(8n * GWEI)
        expect(balanceOf(post, TOOL)).to.equal(7n * GWEI)
        expect(balanceOf(post, COINBASE), "fees plus the withdrawal").to.equal(sequential.gasUsed * GWEI + 11n * GWEI)
        const a0Spent = ETHER + (sequential.transactions[0]?.gasUsed ?? 0n) * 2n * GWEI
        expect(balanceOf(post, a0.address)).to.equal(1000n * ETHER - a0Spent + 1n + ETHER)
      })
    }
  })

  describe("EIP-4844 blob transactions", function () {
    for (const fork of from("cancun")) {
      it(`${fork}: blob gas is charged at the header's blob base fee`, async function () {
        const s = new Scenario(fork)
        const [a0, a1, a2] = s.accounts as [TestAccount, TestAccount, TestAccount]
        const hashes: Hex[] = [`0x01${"ab".repeat(31)}`, `0x01${"cd".repeat(31)}`]
        const txs = [
          s.tx(a0, { type: 3, to: TOOL, data: toolCall(4, a0.address, 0x200n), blobVersionedHashes: hashes, maxFeePerBlobGas: 10_000n }),
          s.tx(a1, { to: TOOL, data: toolCall(4, a0.address, 0x300n) }),
          s.tx(a2, { type: 3, to: fresh(70), value: 1n, blobVersionedHashes: hashes.slice(0, 1), maxFeePerBlobGas: 10_000n }),
        ]
        const block = s.block(txs, { excessBlobGas: 10_000_000n, blobGasUsed: 3n * 131_072n })
        const { sequential, post, oracle } = await checkBlock(s, block)
        const blobPrice = oracle.block.header.getBlobGasPrice()
        expect(blobPrice > 1n, "a blob base fee above the minimum").to.equal(true)
        const [t0, , t2] = sequential.transactions
        expect(t0?.blobGasUsed).to.equal(2n * 131_072n)
        expect(t2?.blobGasUsed).to.equal(131_072n)
        const gasPrice = GWEI + GWEI
        expect(balanceOf(post, a0.address)).to.equal(1000n * ETHER - (t0?.gasUsed ?? 0n) * gasPrice - 2n * 131_072n * blobPrice)
        const env = envAt(post, TOOL, s.features, 0x200n)
        expect(env["blobhash(0)"]).to.equal(BigInt(hashes[0]!))
        expect(env["blobbasefee"]).to.equal(blobPrice)
        expect(envAt(post, TOOL, s.features, 0x300n)["blobhash(0)"], "no blob hash in a type-2 transaction").to.equal(0n)
      })
    }
  })

  describe("EIP-7702 set-code transactions", function () {
    for (const fork of from("prague")) {
      it(`${fork}: delegations are set, used, cleared, and invalid authorizations skipped`, async function () {
        const s = new Scenario(fork)
        const [a0, a1, a2, a3, a4, a5] = s.accounts as [TestAccount, TestAccount, TestAccount, TestAccount, TestAccount, TestAccount]
        const [d1, d2, d3, d4] = testAccounts(4, "delegators") as [TestAccount, TestAccount, TestAccount, TestAccount]
        const [a6, a7] = s.accounts.slice(6) as [TestAccount, TestAccount]
        s.put(d1.address, { balance: ETHER })
        // d2 is already delegated to the tool; its authorization below clears that.
        s.put(d2.address, { balance: ETHER, nonce: 1n, code: concatBytes(Uint8Array.of(0xef, 0x01, 0x00), hexToBytes(TOOL)) })
        s.put(d3.address, { balance: ETHER, nonce: 3n })
        const txs = [
          s.tx(a0, { type: 4, to: d1.address, data: toolCall(1, 9n, 99n), authorizationList: [s.authorize(d1, TOOL, 0n)] }),
          s.tx(a1, { to: d1.address, data: toolCall(4, d1.address, 0x100n), value: 2n }),
          // Self-sponsored: the sender's own nonce is bumped first, so it signs nonce + 1.
          s.tx(a2, { type: 4, to: a2.address, data: toolCall(1, 5n, 55n), authorizationList: [s.authorize(a2, TOOL, s.nextNonce(a2) + 1n)] }),
          s.tx(a3, {
            type: 4,
            to: TOOL,
            data: toolCall(1, 3n, 33n),
            authorizationList: [
              s.authorize(d2, "0x0000000000000000000000000000000000000000", 1n),
              s.authorize(d3, TOOL, 7n), // wrong nonce: skipped
              s.authorize(d3, TOOL, 3n, 999n), // wrong chain: skipped
              s.authorize(d3, TOOL, 3n, 0n), // any chain: valid
            ],
          }),
          s.tx(a4, { to: d2.address, value: 1n, gasLimit: 50_000n }),
          s.tx(a5, { to: d3.address, data: toolCall(1, 7n, 77n) }),
          // d4 delegates to d1, itself delegated: designators are not followed, so the call runs 0xef… and fails.
          s.tx(a6, { type: 4, to: fresh(7), value: 1n, authorizationList: [s.authorize(d4, d1.address, 0n)] }),
          s.tx(a7, { to: d4.address, data: toolCall(1, 8n, 88n) }),
        ]
        const { sequential, post } = await checkBlock(s, s.block(txs))
        expect(sequential.transactions.map((t) => t.receipt.status)).to.deep.equal([1, 1, 1, 1, 1, 1, 1, 0])
        const designator = (target: Hex) => `0xef0100${target.slice(2)}`
        const codeOf = (address: Hex) => {
          const hash = post.accounts.get(address)?.codeHash ?? 0n
          return bytesToHex(post.code(hash) ?? new Uint8Array())
        }
        expect(codeOf(d1.address)).to.equal(designator(TOOL))
        expect(post.accounts.get(d1.address)?.nonce).to.equal(1n)
        expect(storageOf(post, d1.address, 9n)).to.equal(99n)
        expect(envAt(post, d1.address, s.features, 0x100n)["callvalue"]).to.equal(2n)
        expect(codeOf(a2.address)).to.equal(designator(TOOL))
        expect(post.accounts.get(a2.address)?.nonce).to.equal(2n)
        expect(storageOf(post, a2.address, 5n)).to.equal(55n)
        expect(codeOf(d2.address), "delegation to the zero address clears the code").to.equal("0x")
        expect(post.accounts.get(d2.address)?.nonce).to.equal(2n)
        expect(balanceOf(post, d2.address)).to.equal(ETHER + 1n)
        expect(codeOf(d3.address)).to.equal(designator(TOOL))
        expect(post.accounts.get(d3.address)?.nonce).to.equal(4n)
        expect(storageOf(post, d3.address, 7n)).to.equal(77n)
        expect(codeOf(d4.address)).to.equal(designator(d1.address))
        expect(storageOf(post, d4.address, 8n)).to.equal(0n)
      })
    }
  })

  describe("EIP-7685 requests", function () {
    for (const fork of from("prague")) {
      it(`${fork}: requestsHash with no deposit contract and no request predeploys`, async function () {
        const s = new Scenario(fork)
        const [a0, a1] = s.accounts as [TestAccount, TestAccount]
        const txs = [s.tx(a0, { to: fresh(80), value: 1n, gasLimit: 21_000n }), s.tx(a1, { to: TOOL, data: toolCall(1, 3n, 4n) })]
        const { sequential } = await checkBlock(s, s.block(txs))
        expect(sequential.requestsHash).to.match(/^0x[0-9a-f]{64}$/)
        expect(sequential.stateDiff.has(WITHDRAWAL_REQUESTS)).to.equal(false)
        expect(sequential.stateDiff.has(CONSOLIDATION_REQUESTS)).to.equal(false)
      })

      it(`${fork}: deposits from logs and withdrawal/consolidation requests from system calls`, async function () {
        const s = new Scenario(fork)
        const fixtures = compileFixtures()
        s.put(DEPOSIT_CONTRACT, { code: hexToBytes(fixtures["DepositEmitter"]!.deployedBytecode as Hex) })
        // Stand-ins for the request predeploys (their mainnet bytecode is not in node_modules): they queue
        // calldata and hand the queue to the system call, writing storage on both sides.
        const queue = hexToBytes(fixtures["RequestQueue"]!.deployedBytecode as Hex)
        s.put(WITHDRAWAL_REQUESTS, { code: queue })
        s.put(CONSOLIDATION_REQUESTS, { code: queue })
        const deposit = new Interface(["function deposit(bytes,bytes,bytes) payable"])
        const pubkey = new Uint8Array(48).fill(0x11)
        const credentials = new Uint8Array(32).fill(0x22)
        const signature = new Uint8Array(96).fill(0x33)
        const withdrawal1 = concatBytes(new Uint8Array(48).fill(0x44), setLengthLeft(bigIntToBytes(7n), 8))
        const withdrawal2 = concatBytes(new Uint8Array(48).fill(0x55), setLengthLeft(bigIntToBytes(0n), 8))
        const consolidation = concatBytes(new Uint8Array(48).fill(0x66), new Uint8Array(48).fill(0x77))
        const [a0, a1, a2, a3] = s.accounts as [TestAccount, TestAccount, TestAccount, TestAccount]
        const txs = [
          s.tx(a0, { to: DEPOSIT_CONTRACT, value: 32n * ETHER, data: hexToBytes(deposit.encodeFunctionData("deposit", [pubkey, credentials, signature]) as Hex) }),
          s.tx(a1, { to: WITHDRAWAL_REQUESTS, value: 1n, data: withdrawal1 }),
          s.tx(a2, { to: CONSOLIDATION_REQUESTS, value: 1n, data: consolidation }),
          s.tx(a3, { to: WITHDRAWAL_REQUESTS, value: 1n, data: withdrawal2 }),
        ]
        const { sequential, post } = await checkBlock(s, s.block(txs))
        expect(sequential.transactions.every((t) => t.receipt.status === 1)).to.equal(true)
        const [deposits, withdrawals, consolidations] = sequential.requests ?? []
        expect(deposits).to.equal(bytesToHex(concatBytes(Uint8Array.of(0), pubkey, credentials, setLengthLeft(bigIntToBytes(32n * GWEI), 8), signature, new Uint8Array(8))))
        expect(withdrawals).to.equal(bytesToHex(concatBytes(Uint8Array.of(1), withdrawal1, withdrawal2)))
        expect(consolidations).to.equal(bytesToHex(concatBytes(Uint8Array.of(2), consolidation)))
        // The system calls drained both queues (slot 0 holds the queue, slot 1 counts drains).
        for (const predeploy of [WITHDRAWAL_REQUESTS, CONSOLIDATION_REQUESTS]) {
          expect(storageOf(post, predeploy, 1n)).to.equal(1n)
          expect([...(post.accounts.get(predeploy)?.storage.keys() ?? [])]).to.deep.equal([slot(1n)])
        }
        expect(post.accounts.has("0xfffffffffffffffffffffffffffffffffffffffe"), "the system address is left alone").to.equal(false)
      })

      it(`${fork}: a malformed deposit log makes the block invalid`, async function () {
        const s = new Scenario(fork)
        s.put(DEPOSIT_CONTRACT, { code: hexToBytes(compileFixtures()["DepositEmitter"]!.deployedBytecode as Hex) })
        const raw = new Interface(["function depositRaw(bytes,bytes,bytes) payable"])
        const [a0, a1] = s.accounts as [TestAccount, TestAccount]
        const txs = [
          s.tx(a0, { to: TOOL, data: toolCall(1, 3n, 4n) }),
          s.tx(a1, {
            to: DEPOSIT_CONTRACT,
            value: ETHER,
            data: hexToBytes(raw.encodeFunctionData("depositRaw", [new Uint8Array(47), new Uint8Array(32), new Uint8Array(96)]) as Hex),
          }),
        ]
        const block = s.block(txs)
        const sequential = await rejection(executeBlock(s.state, block, { mode: "sequential", chain: s.chain }))
        const parallel = await rejection(executor.execute(s.state, block, s.chain, { mode: "parallel", minParallelTransactions: 2 }))
        await rejection(runOracle(s.state, block, s.chain))
        expect(sequential).to.be.instanceOf(InvalidBlockError)
        expect(parallel).to.be.instanceOf(InvalidBlockError)
      })
    }
  })

  describe("EIP-161 state clearing corner cases", function () {
    for (const fork of ["spuriousDragon", "byzantium", "berlin", "cancun", "prague"]) {
      it(`${fork}: touched empty accounts, reverted touches, and the RIPEMD-160 exception`, async function () {
        const s = new Scenario(fork)
        const ripemd: Hex = "0x0000000000000000000000000000000000000003"
        const [touched, revertedTouch] = ["0x7001000000000000000000000000000000000005", "0x7001000000000000000000000000000000000006"] as Hex[]
        for (const address of [ripemd, touched, revertedTouch]) s.put(address, {})
        const [a0, a1, a2, a3] = s.accounts as [TestAccount, TestAccount, TestAccount, TestAccount]
        const txs = [
          // RIPEMD-160 runs out of gas on 32 KiB (it gets 100k gas): the touch is reverted, except for this precompile.
          s.tx(a0, { to: TOOL, data: toolCall(2, ripemd, 300n, new Uint8Array(32 * 1024)), gasLimit: 2_000_000n }),
          s.tx(a1, { to: TOOL, data: toolCall(2, touched, 310n) }),
          // Runs out of gas at the SSTORE after the call, so the whole transaction (and its touch) is reverted.
          s.tx(a2, { to: TOOL, data: toolCall(2, revertedTouch, 320n), gasLimit: 30_000n }),
          s.tx(a3, { to: fresh(110), value: 1n, gasLimit: 21_000n }),
        ]
        const { sequential, post } = await checkBlock(s, s.block(txs))
        expect(storageOf(post, TOOL, 301n), "the RIPEMD-160 call failed").to.equal(0n)
        expect(sequential.transactions[2]?.error).to.be.a("string")
        expect(post.accounts.has(touched), "a touched empty account is removed").to.equal(false)
        expect(post.accounts.has(revertedTouch), "a reverted touch keeps the account").to.equal(true)
      })
    }
  })

  describe("SELFDESTRUCT and re-creation at one address in one block", function () {
    for (const fork of ["constantinople", "istanbul", "berlin", "london", "shanghai", "cancun", "prague"]) {
      it(`${fork}: CREATE2, write, SELFDESTRUCT, CREATE2 again`, async function () {
        const s = new Scenario(fork)
        const init = deployCode(toolRuntime(s.features), 1n)
        const salt = 0x5a17n
        const child = bytesToHex(generateAddress2(hexToBytes(TOOL), setLengthLeft(bigIntToBytes(salt), 32), init)) as Hex
        const [a0, a1, a2, a3, a4, a5] = s.accounts as [TestAccount, TestAccount, TestAccount, TestAccount, TestAccount, TestAccount]
        const txs = [
          s.tx(a0, { to: TOOL, data: toolCall(7, salt, 200n, init) }),
          s.tx(a1, { to: child, data: toolCall(1, 5n, 55n), value: 9n }),
          s.tx(a2, { to: child, data: toolCall(3, fresh(120)) }),
          s.tx(a3, { to: TOOL, data: toolCall(7, salt, 210n, init) }),
          s.tx(a4, { to: TOOL, data: toolCall(4, child, 0x400n) }),
          s.tx(a5, { to: child, data: toolCall(1, 6n, 66n) }),
        ]
        const { post } = await checkBlock(s, s.block(txs))
        expect(storageOf(post, TOOL, 200n)).to.equal(BigInt(child))
        expect(balanceOf(post, fresh(120)), "the SELFDESTRUCT paid out").to.equal(9n)
        expect(storageOf(post, child, 6n)).to.equal(66n)
        if (s.features.cancun) {
          expect(storageOf(post, TOOL, 210n), "EIP-6780: the old contract survives, so CREATE2 collides").to.equal(0n)
          expect(storageOf(post, child, 5n)).to.equal(55n)
        } else {
          expect(storageOf(post, TOOL, 210n), "re-created").to.equal(BigInt(child))
          expect(storageOf(post, child, 5n), "re-created with empty storage").to.equal(0n)
          expect(storageOf(post, child, 0n)).to.equal(1n)
        }
      })
    }
  })

  describe("creation collisions (EIP-684, EIP-7610)", function () {
    for (const fork of ["spuriousDragon", "constantinople", "berlin", "cancun", "prague"]) {
      it(`${fork}: CREATE and CREATE2 onto accounts with a nonce, with storage, or with only a balance`, async function () {
        const s = new Scenario(fork)
        const init = deployCode(toolRuntime(s.features), 3n)
        const byNonce = (n: bigint) => bytesToHex(generateAddress(hexToBytes(TOOL), bigIntToBytes(n))) as Hex
        const bySalt = (salt: bigint) => bytesToHex(generateAddress2(hexToBytes(TOOL), setLengthLeft(bigIntToBytes(salt), 32), init)) as Hex
        s.put(TOOL, { nonce: 1n, code: toolRuntime(s.features) })
        s.put(byNonce(1n), { nonce: 1n })
        const [a0, a1, a2, a3] = s.accounts as [TestAccount, TestAccount, TestAccount, TestAccount]
        const txs = [s.tx(a0, { to: TOOL, data: toolCall(6, 0n, 300n, init) }), s.tx(a1, { to: TOOL, data: toolCall(6, 0n, 310n, init) })]
        if (s.features.constantinople) {
          s.put(bySalt(1n), { storage: new Map([[1n, 1n]]) })
          s.put(bySalt(2n), { balance: 5n })
          txs.push(s.tx(a2, { to: TOOL, data: toolCall(7, 1n, 320n, init) }), s.tx(a3, { to: TOOL, data: toolCall(7, 2n, 330n, init) }))
        }
        const { post } = await checkBlock(s, s.block(txs))
        expect(storageOf(post, TOOL, 300n), "CREATE onto an account with a nonce fails").to.equal(0n)
        expect(storageOf(post, TOOL, 310n), "the next CREATE uses the next nonce").to.equal(BigInt(byNonce(2n)))
        if (s.features.constantinople) {
          expect(storageOf(post, TOOL, 320n), "CREATE2 onto an account with storage fails").to.equal(0n)
          expect(storageOf(post, TOOL, 330n), "CREATE2 onto an account with only a balance succeeds").to.equal(BigInt(bySalt(2n)))
          expect(balanceOf(post, bySalt(2n))).to.equal(5n)
          expect(storageOf(post, bySalt(2n), 0n)).to.equal(3n)
        }
      })
    }
  })

  describe("transactions invalid for their block", function () {
    for (const fork of ["chainstart", "spuriousDragon", "london", "cancun", "prague", "osaka"]) {
      it(`${fork}: nonce too high and unaffordable value: "throw" rejects the block, "exclude" leaves them out`, async function () {
        const s = new Scenario(fork)
        const [a0, a1, a2, a3, a4] = s.accounts as [TestAccount, TestAccount, TestAccount, TestAccount, TestAccount]
        const [a5, a6] = s.accounts.slice(5) as [TestAccount, TestAccount]
        const [poor, poor2] = testAccounts(2, "poor") as [TestAccount, TestAccount]
        s.put(poor.address, { balance: 100_000n * 2n * GWEI })
        s.put(poor2.address, { balance: 100_000n * 2n * GWEI })
        const txs = [
          s.tx(a0, { to: fresh(90), value: ETHER, gasLimit: 21_000n }),
          s.tx(a1, { to: TOOL, data: toolCall(1, 3n, 4n) }),
          s.tx(a2, { to: fresh(91), value: 1n, gasLimit: 21_000n, nonce: 5n }),
          s.tx(a3, { to: TOOL, data: toolCall(1, 5n, 6n) }),
          s.tx(poor, { to: fresh(92), value: ETHER, gasLimit: 21_000n }),
          s.tx(a4, { to: TOOL, data: toolCall(1, 7n, 8n) }),
          s.tx(a0, { to: TOOL, data: toolCall(1, 9n, 10n) }),
          // poor2 cannot pay at the start of the block, but is paid before its transaction runs.
          s.tx(a5, { to: poor2.address, value: 2n * ETHER, gasLimit: 21_000n }),
          s.tx(poor2, { to: fresh(93), value: ETHER, gasLimit: 21_000n }),
          // a6 sends nearly everything away, so its next transaction cannot pay.
          s.tx(a6, { to: fresh(94), value: 1000n * ETHER - ETHER / 1000n, gasLimit: 21_000n }),
          s.tx(a6, { to: fresh(95), value: ETHER / 100n, gasLimit: 21_000n }),
          // a2's real next nonce, after its invalid transaction.
          s.tx(a2, { to: TOOL, data: toolCall(1, 11n, 12n) }),
        ]
        const block = s.block(txs)

        const sequential = await rejection(executeBlock(s.state, block, { mode: "sequential", chain: s.chain, invalidTransactions: "throw" }))
        const parallel = await rejection(executor.execute(s.state, block, s.chain, { mode: "parallel", minParallelTransactions: 2, invalidTransactions: "throw" }))
        const oracle = await rejection(runOracle(s.state, block, s.chain))
        expect(sequential).to.be.instanceOf(InvalidBlockError)
        expect((sequential as InvalidBlockError).txIndex).to.equal(2)
        expect(parallel).to.be.instanceOf(InvalidBlockError)
        expect((parallel as InvalidBlockError).txIndex).to.equal(2)
        expect(oracle.message).to.match(/nonce/i)

        const { sequential: result } = await checkBlock(s, block, { invalidTransactions: "exclude" })
        expect(result.transactions.map((t) => t.included)).to.deep.equal([true, true, false, true, false, true, true, true, true, true, false, true])
        expect(result.transactions[2]?.invalidReason).to.match(/nonce/i)
        expect(result.transactions[4]?.invalidReason).to.match(/balance|fund|afford/i)
        expect(result.transactions[10]?.invalidReason).to.match(/balance|fund|afford/i)
      })
    }

    it(`london: a transaction with more gas than the block allows is left out by "exclude"`, async function () {
      const s = new Scenario("london")
      const [a0, a1, a2] = s.accounts as [TestAccount, TestAccount, TestAccount]
      const txs = [
        s.tx(a0, { to: fresh(93), value: 1n, gasLimit: 21_000n }),
        s.tx(a1, { to: TOOL, data: toolCall(1, 3n, 4n), gasLimit: 40_000_000n }),
        s.tx(a2, { to: TOOL, data: toolCall(1, 5n, 6n) }),
      ]
      const block = s.block(txs)
      expect(await rejection(executeBlock(s.state, block, { mode: "sequential", chain: s.chain }))).to.be.instanceOf(InvalidBlockError)
      await rejection(runOracle(s.state, block, s.chain))
      const { sequential } = await checkBlock(s, block, { invalidTransactions: "exclude" })
      expect(sequential.transactions.map((t) => t.included)).to.deep.equal([true, false, true])
    })

    it("london: a transaction over the gas the block has left: ethereumjs rejects the block; the engine rejects it or leaves the transaction out", async function () {
      const s = new Scenario("london")
      const [a0, a1, a2] = s.accounts as [TestAccount, TestAccount, TestAccount]
      // ethereumjs (and the engine) check gas used so far plus the transaction's gas limit against the block's.
      const txs = [
        s.tx(a0, { to: TOOL, data: toolCall(1, 3n, 4n), gasLimit: 400_000n }),
        s.tx(a1, { to: TOOL, data: toolCall(1, 5n, 6n), gasLimit: 400_000n }),
        s.tx(a2, { to: TOOL, data: toolCall(1, 7n, 8n), gasLimit: 400_000n }),
      ]
      const block = s.block(txs, { gasLimit: 450_000n })
      expect((await rejection(runOracle(s.state, block, s.chain))).message).to.match(/higher gas limit/)
      const sequential = await rejection(executeBlock(s.state, block, { mode: "sequential", chain: s.chain }))
      const parallel = await rejection(executor.execute(s.state, block, s.chain, { mode: "parallel", minParallelTransactions: 2 }))
      expect(sequential).to.be.instanceOf(InvalidBlockError)
      expect((sequential as InvalidBlockError).txIndex).to.equal(2)
      expect(parallel).to.be.instanceOf(InvalidBlockError)
      // "exclude" may not leave such a transaction out: by the time assembly finds it over the limit, the
      // transactions after it may have run on its writes. Either answer is acceptable; a wrong block is not.
      let excluded: BlockResult | Error
      try {
        excluded = (await checkBlock(s, block, { invalidTransactions: "exclude" })).sequential
      } catch (error) {
        excluded = error as Error
      }
      if (excluded instanceof Error) expect(excluded).to.be.instanceOf(InvalidBlockError)
      else expect(excluded.transactions.map((t) => t.included)).to.deep.equal([true, true, false])
    })

    it("cancun: a blob transaction that cannot pay the blob base fee is invalid", async function () {
      const s = new Scenario("cancun")
      const [a0, a1, a2] = s.accounts as [TestAccount, TestAccount, TestAccount]
      const txs = [
        s.tx(a0, { to: TOOL, data: toolCall(1, 3n, 4n) }),
        s.tx(a1, { type: 3, to: TOOL, data: toolCall(1, 5n, 6n), blobVersionedHashes: [`0x01${"ab".repeat(31)}`], maxFeePerBlobGas: 1n }),
        s.tx(a2, { to: TOOL, data: toolCall(1, 7n, 8n) }),
      ]
      const block = s.block(txs, { excessBlobGas: 10_000_000n, blobGasUsed: 131_072n })
      expect(await rejection(executeBlock(s.state, block, { mode: "sequential", chain: s.chain }))).to.be.instanceOf(InvalidBlockError)
      await rejection(runOracle(s.state, block, s.chain))
      const { sequential } = await checkBlock(s, { ...block, header: { ...block.header, blobGasUsed: 0n } }, { invalidTransactions: "exclude" })
      expect(sequential.transactions.map((t) => t.included)).to.deep.equal([true, false, true])
    })

    it("osaka: a transaction over the EIP-7825 gas cap (2^24) is invalid", async function () {
      const s = new Scenario("osaka")
      const prague = commonFor(s.chain, "prague")
      const [a0, a1, a2] = s.accounts as [TestAccount, TestAccount, TestAccount]
      const txs = [
        s.tx(a0, { to: TOOL, data: toolCall(1, 3n, 4n) }),
        s.tx(a1, { type: 2, to: TOOL, data: toolCall(1, 5n, 6n), gasLimit: 2n ** 24n + 1n, common: prague }),
        s.tx(a2, { to: TOOL, data: toolCall(1, 7n, 8n) }),
      ]
      const block = s.block(txs)
      const sequential = await rejection(executeBlock(s.state, block, { mode: "sequential", chain: s.chain }))
      const parallel = await rejection(executor.execute(s.state, block, s.chain, { mode: "parallel", minParallelTransactions: 2 }))
      expect(sequential).to.be.instanceOf(InvalidBlockError)
      expect(parallel).to.be.instanceOf(InvalidBlockError)
      await rejection(runOracle(s.state, block, s.chain))
      const { sequential: result } = await checkBlock(s, block, { invalidTransactions: "exclude" })
      expect(result.transactions.map((t) => t.included)).to.deep.equal([true, false, true])
    })
  })
})
