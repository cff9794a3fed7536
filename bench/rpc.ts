/**
 * End-to-end workloads for `npm run bench`, through JSON-RPC: Hardhat's EDR
 * network against our node, both reached the way a Hardhat project reaches
 * them (`hre.network.create()`, the same `edr-simulated` config; ours is that
 * config with `--parallel-evm`), in the same process and the same rounds.
 * The workload is ERC-20 transfers from distinct senders (the network's local
 * accounts), sent one at a time and each answer awaited, as a script does,
 * in two ways: pre-signed and byte-identical `eth_sendRawTransaction`s (the
 * nodes' own cost), and `eth_sendTransaction` with only from/to/data, whose
 * gas and fees Hardhat's request layer fills in (what an ethers signer
 * sends, so what tests pay). Measured per way: N transfers queued with
 * automine off then `evm_mine` (end to end), the `evm_mine` alone, and
 * automine throughput. Each round runs both nodes back to back, in
 * alternating order; figures are medians, ratios the median of per-round
 * ratios. A step that took EDR longer than SLOW_STEP_MS is not repeated.
 * After every step both nodes must have mined every transaction with status
 * 1, in one block (or one block each with automine), with the same gasUsed,
 * or the bench aborts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

import { bytesToHex, concatBytes, hexToBytes } from "@ethereumjs/util"
import { keccak_256 } from "@noble/hashes/sha3.js"
import type { HardhatUserConfig } from "hardhat/config"
import { createHardhatRuntimeEnvironment } from "hardhat/hre"

import { commonFor } from "../src/engine/index.js"
import type { Hex } from "../src/engine/index.js"
import hardhatPevm from "../src/hardhat/index.js"
import { signTx, testAccounts, word, type TestAccount } from "../test/fixtures/accounts.js"
import { compileFixtures } from "../test/fixtures/compile.js"
import { calldata } from "../test/fixtures/workloads.js"

export type SendMethod = "raw" | "sendTransaction"

export interface RpcRow {
  /** "queue+mine" (sends plus evm_mine), "evm_mine" (alone) or "automine". */
  readonly workload: string
  readonly send: SendMethod
  readonly transactions: number
  /** Rounds measured (fewer than asked when EDR took over SLOW_STEP_MS). */
  readonly rounds: number
  /** Median wall time of the step on each node. */
  readonly pevmMs: number
  readonly edrMs: number
  readonly pevmTxPerSec: number
  readonly edrTxPerSec: number
  /** Median of per-round EDR time / our time: above 1 means we are faster. */
  readonly speedupVsEdr: number
  readonly target?: { readonly description: string; readonly minSpeedupVsEdr: number; readonly met: boolean }
}

export interface RpcBenchOptions {
  /** Block sizes for queue+mine (default 100, 300, 1000). */
  readonly sizes?: readonly number[]
  /** Transfers in the automine run (default 200). */
  readonly automineTxs?: number
  readonly sends?: readonly SendMethod[]
  readonly rounds: number
  readonly workers: number
  readonly progress: (line: string) => void
}

export const SEND_METHODS: Readonly<Record<SendMethod, string>> = {
  raw: "eth_sendRawTransaction of pre-signed EIP-1559 transfers, the same bytes to both nodes",
  sendTransaction: "eth_sendTransaction {from, to, data} from local accounts; gas and fees filled by Hardhat's request layer (EDR) or the plugin's equivalent (ours)",
}

/** EDR's eth_sendTransaction slows down as the pool grows: 1000 queued take it over a minute, so they are measured once. */
const SLOW_STEP_MS = 10_000
const BLOCK_GAS_LIMIT = 100_000_000
const TX_GAS = 80_000n
const MAX_FEE = 100_000_000_000n
const TIP = 1_000_000_000n
const ETHER = 10n ** 18n
/** Token.balanceOf is the contract's first storage slot. */
const BALANCE_SLOT = 0n
const CHAIN_ID = 31337n
const HARDFORK = "osaka"

interface Provider {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>
}

interface Receipt {
  status: string
  blockNumber: string
  contractAddress: string | null
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

const hex = (value: bigint): Hex => `0x${value.toString(16)}`

/** Both nodes, set up identically: the token deployed, every sender holding tokens. */
interface Pair {
  readonly pevm: Provider
  readonly edr: Provider
  readonly close: () => Promise<void>
}

/** The same request to both nodes; the answers must agree (tx hashes, true, ...). */
async function both(pair: Pair, method: string, params: unknown[] = []): Promise<unknown> {
  const a = await pair.pevm.request({ method, params })
  const b = await pair.edr.request({ method, params })
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`${method}: the nodes disagree (${JSON.stringify(a)} vs ${JSON.stringify(b)})`)
  return a
}

/** One Hardhat runtime per node over the same user config: only --parallel-evm differs. */
async function connect(accounts: readonly TestAccount[], workers: number): Promise<Pair> {
  const root = mkdtempSync(join(tmpdir(), "pevm-bench-rpc-"))
  writeFileSync(join(root, "package.json"), JSON.stringify({ name: "pevm-bench", private: true, type: "module" }))
  const config: HardhatUserConfig = {
    networks: {
      bench: {
        type: "edr-simulated",
        chainType: "l1",
        chainId: Number(CHAIN_ID),
        hardfork: HARDFORK,
        blockGasLimit: BLOCK_GAS_LIMIT,
        mining: { auto: true },
        accounts: accounts.map((a) => ({ privateKey: bytesToHex(a.key), balance: (10n * ETHER).toString() })),
      },
    },
  }
  const edrHre = await createHardhatRuntimeEnvironment(config, {}, root)
  const pevmHre = await createHardhatRuntimeEnvironment({ ...config, plugins: [hardhatPevm], pevm: { workers } }, { parallelEvm: true }, root)
  const edr = await edrHre.network.create("bench")
  const pevm = await pevmHre.network.create("bench")
  const version = (p: Provider) => p.request({ method: "hardhat_metadata" }).then((m) => (m as { clientVersion: string }).clientVersion)
  if (!(await version(pevm.provider)).includes("hardhat-pevm") || (await version(edr.provider)).includes("hardhat-pevm")) {
    throw new Error("the connections are not on the expected nodes")
  }
  return {
    pevm: pevm.provider,
    edr: edr.provider,
    close: async () => {
      await pevm.close()
      await edr.close()
      rmSync(root, { recursive: true, force: true })
    },
  }
}

/** Sends each request and waits for its answer; returns the hashes and the wall time. */
async function sendAll(provider: Provider, requests: readonly { method: string; params: unknown[] }[]): Promise<{ hashes: Hex[]; ms: number }> {
  const hashes: Hex[] = []
  const started = performance.now()
  for (const request of requests) hashes.push((await provider.request(request)) as Hex)
  return { hashes, ms: performance.now() - started }
}

/** Every hash mined with status 1, all in one block or one block each; returns gasUsed summed over those blocks. */
async function verify(provider: Provider, name: string, hashes: readonly Hex[], sameBlock: boolean): Promise<bigint> {
  const blocks = new Set<string>()
  for (const hash of hashes) {
    const receipt = (await provider.request({ method: "eth_getTransactionReceipt", params: [hash] })) as Receipt | null
    if (receipt === null) throw new Error(`${name}: transaction ${hash} was not mined`)
    if (receipt.status !== "0x1") throw new Error(`${name}: transaction ${hash} failed (status ${receipt.status})`)
    blocks.add(receipt.blockNumber)
  }
  if (sameBlock && blocks.size !== 1) throw new Error(`${name}: ${hashes.length} transactions spread over ${blocks.size} blocks`)
  if (!sameBlock && blocks.size !== hashes.length) throw new Error(`${name}: ${hashes.length} automined transactions in ${blocks.size} blocks`)
  let gasUsed = 0n
  for (const number of blocks) {
    const block = (await provider.request({ method: "eth_getBlockByNumber", params: [number, false] })) as { transactions: Hex[]; gasUsed: Hex }
    if (block.transactions.length !== (sameBlock ? hashes.length : 1)) throw new Error(`${name}: block ${number} holds ${block.transactions.length} transactions`)
    gasUsed += BigInt(block.gasUsed)
  }
  return gasUsed
}

interface Timings {
  pevm: number[]
  edr: number[]
  ratios: number[]
}

const timings = (): Timings => ({ pevm: [], edr: [], ratios: [] })

function push(t: Timings, pevmMs: number, edrMs: number): void {
  t.pevm.push(pevmMs)
  t.edr.push(edrMs)
  t.ratios.push(edrMs / pevmMs)
}

export async function benchRpc(options: RpcBenchOptions): Promise<RpcRow[]> {
  const sizes = options.sizes ?? [100, 300, 1000]
  const automineTxs = options.automineTxs ?? 200
  const sends = options.sends ?? (["raw", "sendTransaction"] as const)
  const senderCount = Math.max(automineTxs, ...sizes)
  const [deployer, ...senders] = testAccounts(senderCount + 1, "bench-rpc") as [TestAccount, ...TestAccount[]]
  const recipients = testAccounts(senderCount, "bench-rpc-to")
  const nonces = new Map<Hex, bigint>()
  const common = commonFor({ chainId: CHAIN_ID, hardfork: HARDFORK }, HARDFORK)
  const nextNonce = (account: TestAccount): bigint => {
    const nonce = nonces.get(account.address) ?? 0n
    nonces.set(account.address, nonce + 1n)
    return nonce
  }
  const sign = (from: TestAccount, to: Hex | undefined, data: Uint8Array, gasLimit = TX_GAS): Hex =>
    bytesToHex(
      signTx(
        common,
        { type: 2, chainId: CHAIN_ID, nonce: nextNonce(from), gasLimit, maxFeePerGas: MAX_FEE, maxPriorityFeePerGas: TIP, data, ...(to !== undefined ? { to } : {}) },
        from,
      ).raw,
    ) as Hex

  options.progress(`rpc: setting up both nodes (${senderCount} senders)`)
  const pair = await connect([deployer, ...senders], options.workers)
  const rows: RpcRow[] = []
  try {
    // The token, deployed by the same raw transaction on both; balances are then written to storage.
    const token = compileFixtures()["Token"]
    if (token === undefined) throw new Error("the Token fixture did not compile")
    const noHolders = concatBytes(word(64n), word(0n), word(0n)) // constructor(address[] holders = [], uint256 amount = 0)
    const hash = (await both(pair, "eth_sendRawTransaction", [sign(deployer, undefined, concatBytes(hexToBytes(token.bytecode as Hex), noHolders), 2_000_000n)])) as Hex
    const receipts = (await Promise.all([pair.pevm, pair.edr].map((p) => p.request({ method: "eth_getTransactionReceipt", params: [hash] })))) as Receipt[]
    const address = receipts[0]?.contractAddress as Hex | null | undefined
    if (address == null || receipts.some((r) => r.status !== "0x1" || r.contractAddress !== address)) throw new Error("token deployment failed")
    for (const sender of senders) {
      const slot = bytesToHex(keccak_256(concatBytes(word(sender.address), word(BALANCE_SLOT))))
      await both(pair, "hardhat_setStorageAt", [address, slot, bytesToHex(word(10n ** 24n))])
    }

    /** Transfers from the first `count` senders, each to its own recipient. */
    const transfers = (send: SendMethod, count: number): { method: string; params: unknown[] }[] =>
      senders.slice(0, count).map((sender, i) => {
        const data = calldata("transfer(address,uint256)", (recipients[i] as TestAccount).address, 1n)
        if (send === "raw") return { method: "eth_sendRawTransaction", params: [sign(sender, address, data)] }
        nextNonce(sender) // the node picks it; kept so later raw transactions stay in step
        return { method: "eth_sendTransaction", params: [{ from: sender.address, to: address, data: bytesToHex(data) }] }
      })

    /** Queues the transfers with automine off, then evm_mine; checks the block. */
    const queueAndMine = async (provider: Provider, name: string, requests: { method: string; params: unknown[] }[]) => {
      await provider.request({ method: "evm_setAutomine", params: [false] })
      const sent = await sendAll(provider, requests)
      const started = performance.now()
      await provider.request({ method: "evm_mine", params: [] })
      const mine = performance.now() - started
      await provider.request({ method: "evm_setAutomine", params: [true] })
      return { ms: sent.ms + mine, mine, gasUsed: await verify(provider, name, sent.hashes, true) }
    }

    const automine = async (provider: Provider, name: string, requests: { method: string; params: unknown[] }[]) => {
      const sent = await sendAll(provider, requests)
      return { ms: sent.ms, mine: 0, gasUsed: await verify(provider, name, sent.hashes, false) }
    }

    type Step = (provider: Provider, name: string) => Promise<{ ms: number; mine: number; gasUsed: bigint }>
    /** Runs a step on both nodes, ours first in even rounds; both must use the same gas. */
    const onBoth = async (round: number, step: Step) => {
      const first = round % 2 === 0 ? "pevm" : "EDR"
      const a = await step(first === "pevm" ? pair.pevm : pair.edr, first)
      const second = first === "pevm" ? "EDR" : "pevm"
      const b = await step(second === "pevm" ? pair.pevm : pair.edr, second)
      const [ours, theirs] = first === "pevm" ? [a, b] : [b, a]
      if (ours.gasUsed !== theirs.gasUsed) throw new Error(`gasUsed differs: pevm ${ours.gasUsed}, EDR ${theirs.gasUsed}`)
      return { ours, theirs }
    }

    // Warm-up (JIT, worker threads, EDR's caches), not timed.
    options.progress("rpc: warm-up")
    for (const send of sends) {
      const warmQueued = transfers(send, Math.min(50, senderCount))
      await onBoth(0, (p, name) => queueAndMine(p, name, warmQueued))
      const warmAuto = transfers(send, Math.min(20, senderCount))
      await onBoth(0, (p, name) => automine(p, name, warmAuto))
    }

    for (const send of sends) {
      const queued = new Map(sizes.map((n) => [n, timings()]))
      const mined = new Map(sizes.map((n) => [n, timings()]))
      const auto = timings()
      for (let round = 0; round < options.rounds; round++) {
        for (const n of sizes) {
          const t = queued.get(n) as Timings
          if (t.edr.some((ms) => ms > SLOW_STEP_MS)) continue
          options.progress(`rpc: ${send}, round ${round + 1}/${options.rounds}, queue ${n} + evm_mine`)
          const requests = transfers(send, n)
          const { ours, theirs } = await onBoth(round, (p, name) => queueAndMine(p, name, requests))
          push(t, ours.ms, theirs.ms)
          push(mined.get(n) as Timings, ours.mine, theirs.mine)
        }
        options.progress(`rpc: ${send}, round ${round + 1}/${options.rounds}, automine ${automineTxs}`)
        const requests = transfers(send, automineTxs)
        const { ours, theirs } = await onBoth(round, (p, name) => automine(p, name, requests))
        push(auto, ours.ms, theirs.ms)
      }
      const largest = Math.max(...sizes)
      const row = (workload: string, transactions: number, t: Timings, target?: { description: string; minSpeedupVsEdr: number }): RpcRow => {
        const pevmMs = median(t.pevm)
        const edrMs = median(t.edr)
        const speedupVsEdr = median(t.ratios)
        return {
          workload,
          send,
          transactions,
          rounds: t.pevm.length,
          pevmMs,
          edrMs,
          pevmTxPerSec: transactions / (pevmMs / 1000),
          edrTxPerSec: transactions / (edrMs / 1000),
          speedupVsEdr,
          ...(target !== undefined ? { target: { ...target, met: speedupVsEdr >= target.minSpeedupVsEdr } } : {}),
        }
      }
      for (const n of sizes) rows.push(row("queue+mine", n, queued.get(n) as Timings, n === largest ? { description: ">= 10x faster", minSpeedupVsEdr: 10 } : undefined))
      for (const n of sizes) rows.push(row("evm_mine", n, mined.get(n) as Timings, n === largest ? { description: "time <= 1.5x EDR's", minSpeedupVsEdr: 1 / 1.5 } : undefined))
      rows.push(row("automine", automineTxs, auto, { description: "tx/s >= 0.5x EDR's", minSpeedupVsEdr: 0.5 }))
    }
  } finally {
    await pair.close()
  }
  return rows
}
