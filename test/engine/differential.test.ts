/**
 * Differential test: seeded random blocks run sequentially and in parallel
 * (Block-STM on two workers) must give the same result, byte for byte:
 * receipts, logs, gas, errors, return data, access sets and the post-state
 * (`compareResults`). The parallel path must really run (no fallback).
 *
 * The blocks mix ETH transfers (to accounts, contracts, precompiles and the
 * coinbase), ERC-20 transfers (disjoint and hot accounts), AMM swaps, CREATE
 * and CREATE2 (and calls to contracts made earlier in the block),
 * SELFDESTRUCT (EIP-6780: same transaction and pre-existing), nested calls
 * that revert (reason strings, custom errors, panics, invalid opcodes) and
 * are caught or bubble up, reads of the coinbase balance, transient and
 * storage reentrancy guards, out-of-gas transactions, nonce chains, accounts
 * funded and spending in one block, and legacy, EIP-2930 and EIP-1559
 * transactions; see test/fixtures/randomBlocks.ts. A second group mixes in
 * invalid transactions and runs with `invalidTransactions: "exclude"`.
 *
 * Environment:
 *   PEVM_SEED=<seed>         run just that block (its scenario is replayed up to it)
 *   PEVM_BLOCKS=<n>          blocks in the main group (default 500)
 *   PEVM_INVALID_BLOCKS=<n>  blocks in the exclude group (default 60)
 *   PEVM_FIRST_SEED=<n>      start both groups n seeds later (to explore new seeds)
 *   PEVM_REPEAT=<n>          run each block in parallel n times (hunting races)
 *   PEVM_WORKERS=<n>         worker threads of the parallel executor (default 2)
 */
import { expect } from "chai"

import { ParallelExecutor, compareResults, executeBlock } from "../../src/engine/index.js"
import type { BlockResult, ExecutionStats } from "../../src/engine/index.js"
import {
  BLOCKS_PER_SCENARIO,
  INVALID_SEED_BASE,
  advance,
  buildScenario,
  eventTopic,
  randomBlock,
  scenarioOf,
  type RandomBlock,
  type Scenario,
} from "../fixtures/randomBlocks.js"

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === "") return fallback
  const n = Number(raw)
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, not ${raw}`)
  return n
}

const ONLY_SEED = process.env["PEVM_SEED"] === undefined || process.env["PEVM_SEED"] === "" ? undefined : envNumber("PEVM_SEED", 0)
const BLOCKS = envNumber("PEVM_BLOCKS", 500)
const INVALID_BLOCKS = envNumber("PEVM_INVALID_BLOCKS", 60)
const FIRST_SEED = envNumber("PEVM_FIRST_SEED", 0)
const REPEAT = Math.max(1, envNumber("PEVM_REPEAT", 1))
const WORKERS = Math.max(2, envNumber("PEVM_WORKERS", 2))
const TEST_FILE = "test/engine/differential.test.ts"

const TOPIC = {
  created: eventTopic("Created(address,bytes32,bool)"),
  destroyed: eventTopic("Destroyed(address,uint256)"),
  observed: eventTopic("Observed(address,uint256,uint256)"),
  caught: eventTopic("Caught(uint256,bytes)"),
  entered: eventTopic("Entered(uint256,bool)"),
  split: eventTopic("Split(address,bool,bool,uint256)"),
}

/** What the random blocks really did, counted from the sequential results, so the test cannot pass vacuously. */
class Mix {
  blocks = 0
  transactions = 0
  excluded = 0
  readonly types = new Map<number, number>()
  readonly errors = new Map<string, number>()
  readonly events = new Map<string, number>()
  /** label -> [succeeded, failed, excluded] */
  readonly labels = new Map<string, [number, number, number]>()
  blocksWithNonceChains = 0
  longestNonceChain = 0
  reentryBlocked = { transient: 0, storage: 0 }
  hints = new Map<string, number>()
  readonly parallel = { runs: 0, incarnations: 0, reExecutions: 0, validationAborts: 0, dependencyWaits: 0, wallMs: 0 }
  sequentialMs = 0

  add(rb: RandomBlock, result: BlockResult): void {
    this.blocks++
    this.sequentialMs += result.stats.wallMs
    this.hints.set(rb.hints, (this.hints.get(rb.hints) ?? 0) + 1)
    const perSender = new Map<string, number>()
    result.transactions.forEach((tx, i) => {
      const label = rb.labels[i] ?? "?"
      const counts = this.labels.get(label) ?? [0, 0, 0]
      this.labels.set(label, counts)
      this.transactions++
      if (!tx.included) {
        this.excluded++
        counts[2]++
        return
      }
      perSender.set(tx.sender, (perSender.get(tx.sender) ?? 0) + 1)
      this.types.set(tx.receipt.type, (this.types.get(tx.receipt.type) ?? 0) + 1)
      if (tx.receipt.status === 1) counts[0]++
      else {
        counts[1]++
        const error = tx.error ?? "failed"
        this.errors.set(error, (this.errors.get(error) ?? 0) + 1)
      }
      if (tx.createdAddress !== undefined && tx.receipt.status === 1) this.count("tx-level creation")
      for (const log of tx.receipt.logs) {
        const name = Object.entries(TOPIC).find(([, topic]) => topic === log.topics[0])?.[0]
        if (name === undefined) continue
        this.count(name)
        if (name === "entered" && BigInt(`0x${log.data.slice(66, 130)}`) === 1n) {
          if (label === "guard:transient") this.reentryBlocked.transient++
          else this.reentryBlocked.storage++
        }
      }
    })
    const chain = Math.max(0, ...perSender.values())
    this.longestNonceChain = Math.max(this.longestNonceChain, chain)
    if (chain >= 3) this.blocksWithNonceChains++
  }

  addParallel(stats: ExecutionStats): void {
    this.parallel.runs++
    this.parallel.incarnations += stats.incarnations
    this.parallel.reExecutions += stats.reExecutions
    this.parallel.validationAborts += stats.validationAborts
    this.parallel.dependencyWaits += stats.dependencyWaits
    this.parallel.wallMs += stats.wallMs
  }

  private count(name: string): void {
    this.events.set(name, (this.events.get(name) ?? 0) + 1)
  }

  ok(label: string): number {
    return this.labels.get(label)?.[0] ?? 0
  }

  okPrefix(prefix: string): number {
    let n = 0
    for (const [label, [ok]] of this.labels) if (label.startsWith(prefix)) n += ok
    return n
  }

  excludedPrefix(prefix: string): number {
    let n = 0
    for (const [label, [, , excluded]] of this.labels) if (label.startsWith(prefix)) n += excluded
    return n
  }

  summary(): string {
    const map = (m: ReadonlyMap<string | number, number>) => [...m].map(([k, v]) => `${k}: ${v}`).join(", ")
    const labels = [...this.labels]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([label, [ok, failed, excluded]]) => `    ${label.padEnd(26)} ok ${String(ok).padStart(5)}  failed ${String(failed).padStart(5)}${excluded > 0 ? `  excluded ${excluded}` : ""}`)
    const p = this.parallel
    return [
      `  ${this.blocks} blocks, ${this.transactions} transactions (${this.excluded} excluded as invalid)`,
      `  transaction types: ${map(this.types)}`,
      `  top-level errors: ${map(this.errors)}`,
      `  events: ${map(this.events)}`,
      `  reentry blocked: transient guard ${this.reentryBlocked.transient}, storage guard ${this.reentryBlocked.storage}`,
      `  nonce chains: ${this.blocksWithNonceChains} blocks with a sender sending 3+ transactions (longest ${this.longestNonceChain})`,
      `  hints: ${map(this.hints)}`,
      `  parallel: ${p.runs} runs, ${p.incarnations} incarnations, ${p.reExecutions} re-executions, ${p.validationAborts} validation aborts, ${p.dependencyWaits} dependency waits`,
      `  engine time: sequential ${Math.round(this.sequentialMs)} ms, parallel ${Math.round(p.wallMs)} ms`,
      `  by label:`,
      ...labels,
    ].join("\n")
  }
}

/** Consecutive seeds grouped by scenario. */
function chunks(first: number, count: number): number[][] {
  const out: number[][] = []
  for (let seed = first; seed < first + count; seed++) {
    const last = out[out.length - 1]
    if (last !== undefined && scenarioOf(last[0] as number) === scenarioOf(seed)) last.push(seed)
    else out.push([seed])
  }
  return out
}

/** Builds the scenario of `seed` and runs the blocks before it (sequentially) to reach its pre-state. */
async function scenarioAt(seed: number): Promise<Scenario> {
  const s = await buildScenario(scenarioOf(seed))
  while (s.nextSeed < seed) {
    const rb = randomBlock(s, s.nextSeed)
    const result = await executeBlock(s.state, rb.block, { mode: "sequential", chain: s.chain, invalidTransactions: s.invalid ? "exclude" : "throw" })
    advance(s, rb, result)
  }
  return s
}

function describeBlock(s: Scenario, rb: RandomBlock): string {
  return (
    `seed ${rb.seed} (scenario ${s.id}, block ${rb.seed - s.firstSeed + 1} of ${BLOCKS_PER_SCENARIO}; ${s.chain.hardfork}, ` +
    `coinbase ${s.coinbaseKind} ${s.coinbase}, base fee ${rb.block.header.baseFeePerGas}, hints ${rb.hints}, ${rb.block.transactions.length} transactions)`
  )
}

function failureReport(s: Scenario, rb: RandomBlock, problems: readonly string[]): string {
  return [
    `${describeBlock(s, rb)}:`,
    `  reproduce: PEVM_SEED=${rb.seed} npx mocha ${TEST_FILE}`,
    `  transactions: ${rb.labels.map((label, i) => `${i} ${label}`).join(", ")}`,
    ...problems.map((p) => `  ${p}`),
  ].join("\n")
}

function transactionTable(rb: RandomBlock, sequential: BlockResult, parallel: BlockResult | undefined): string {
  return sequential.transactions
    .map((tx, i) => {
      const outcome = (r: BlockResult["transactions"][number] | undefined) =>
        r === undefined ? "-" : !r.included ? `excluded (${r.invalidReason?.slice(0, 60)})` : r.receipt.status === 1 ? `ok ${r.gasUsed}` : `${r.error} ${r.gasUsed}`
      const par = parallel?.transactions[i]
      const same = outcome(tx) === outcome(par)
      return `  ${String(i).padStart(2)} ${(rb.labels[i] ?? "?").padEnd(26)} ${tx.sender} ${outcome(tx)}${same ? "" : `   parallel: ${outcome(par)}`}`
    })
    .join("\n")
}

describe("engine: differential, random blocks run in parallel equal sequential", function () {
  const executor = new ParallelExecutor({ workers: WORKERS })
  after(() => executor.close())

  /** Runs one block both ways; returns the sequential result (if any) and what differed. */
  async function check(s: Scenario, rb: RandomBlock, mix: Mix, verbose: boolean): Promise<{ sequential?: BlockResult; problems: string[] }> {
    const invalidTransactions = s.invalid ? ("exclude" as const) : ("throw" as const)
    let sequential: BlockResult
    try {
      sequential = await executeBlock(s.state, rb.block, { mode: "sequential", chain: s.chain, invalidTransactions })
    } catch (error) {
      return { problems: [`sequential execution threw (a generator bug if the engine is right): ${(error as Error).stack ?? String(error)}`] }
    }
    mix.add(rb, sequential)
    const problems: string[] = []
    let lastParallel: BlockResult | undefined
    for (let run = 1; run <= REPEAT; run++) {
      const tag = REPEAT > 1 ? `parallel run ${run}: ` : ""
      let parallel: BlockResult
      try {
        parallel = await executor.execute(s.state, rb.block, s.chain, { mode: "parallel", minParallelTransactions: 2, invalidTransactions })
      } catch (error) {
        problems.push(`${tag}parallel execution threw: ${(error as Error).stack ?? String(error)}`)
        continue
      }
      lastParallel = parallel
      mix.addParallel(parallel.stats)
      if (parallel.stats.fellBack || parallel.stats.mode !== "parallel") {
        problems.push(`${tag}parallel execution did not run in parallel: mode ${parallel.stats.mode}, fell back: ${parallel.stats.fallbackReason}`)
      }
      problems.push(...compareResults(sequential, parallel).map((line) => `${tag}sequential vs parallel: ${line}`))
    }
    if (verbose || problems.length > 0) {
      const table = transactionTable(rb, sequential, lastParallel)
      if (verbose) console.log(`${describeBlock(s, rb)}\n${table}`)
      if (problems.length > 0) problems.push(`outcomes (sequential, and parallel where it differs):\n${table}`)
    }
    return { sequential, problems }
  }

  function group(name: string, first: number, count: number, assertMix: (mix: Mix) => void): void {
    describe(name, function () {
      const mix = new Mix()
      const started = performance.now()
      for (const seeds of chunks(first, count)) {
        const title =
          seeds.length === 1 ? `seed ${seeds[0]} (scenario ${scenarioOf(seeds[0] as number)})` : `scenario ${scenarioOf(seeds[0] as number)}: seeds ${seeds[0]}..${seeds[seeds.length - 1]}`
        it(title, async function () {
          const s = await scenarioAt(seeds[0] as number)
          const failures: string[] = []
          for (const seed of seeds) {
            const rb = randomBlock(s, seed)
            const { sequential, problems } = await check(s, rb, mix, ONLY_SEED !== undefined)
            if (problems.length > 0) failures.push(failureReport(s, rb, problems))
            if (sequential === undefined) break // the scenario cannot go on without a reference post-state
            advance(s, rb, sequential)
          }
          if (failures.length > 0) {
            throw new Error(`parallel execution differs from sequential in ${failures.length} block(s):\n\n${failures.join("\n\n")}`)
          }
        })
      }
      if (ONLY_SEED === undefined) {
        it("really exercised the mix it was built for", function () {
          console.log(`      ${name}, ${Math.round((performance.now() - started) / 1000)} s:\n${mix.summary()}`)
          if (count >= 50) assertMix(mix)
        })
      }
    })
  }

  if (ONLY_SEED !== undefined) {
    group(`one seed (PEVM_SEED=${ONLY_SEED})`, ONLY_SEED, 1, () => {})
    return
  }

  group(`${BLOCKS} random blocks`, FIRST_SEED, BLOCKS, (mix) => {
    expect(mix.blocks).to.equal(BLOCKS)
    expect(mix.excluded, "no transaction of this group is invalid").to.equal(0)
    for (const type of [0, 1, 2]) expect(mix.types.get(type) ?? 0, `transactions of type ${type}`).to.be.greaterThan(0)
    expect(mix.errors.get("revert") ?? 0, "reverted transactions").to.be.greaterThan(0)
    expect(mix.errors.get("out of gas") ?? 0, "transactions out of gas").to.be.greaterThan(0)
    expect(mix.events.get("tx-level creation") ?? 0, "contracts created by transactions").to.be.greaterThan(0)
    expect(mix.events.get("created") ?? 0, "contracts created by the factory").to.be.greaterThan(0)
    expect(mix.ok("factory:create2") + mix.ok("factory:tryCreate2"), "CREATE2").to.be.greaterThan(0)
    expect(mix.ok("child:created-here"), "calls to a contract created earlier in the block").to.be.greaterThan(0)
    expect(mix.events.get("destroyed") ?? 0, "self-destructs").to.be.greaterThan(0)
    expect(mix.ok("selfdestruct:same-tx") + mix.ok("create:kamikaze") + mix.ok("selfdestruct:kamikaze"), "self-destructs in the creating transaction").to.be.greaterThan(0)
    expect(mix.ok("selfdestruct:existing"), "self-destructs of pre-existing contracts").to.be.greaterThan(0)
    expect(mix.events.get("observed") ?? 0, "coinbase balance reads").to.be.greaterThan(0)
    expect(mix.ok("eth:coinbase") + mix.ok("coinbase:tip"), "payments to the coinbase").to.be.greaterThan(0)
    expect(mix.events.get("caught") ?? 0, "inner reverts caught").to.be.greaterThan(0)
    expect(mix.ok("nested:bubble") + (mix.labels.get("nested:bubble")?.[1] ?? 0), "inner reverts bubbled").to.be.greaterThan(0)
    expect(mix.reentryBlocked.transient, "reentries stopped by the transient guard").to.be.greaterThan(0)
    expect(mix.reentryBlocked.storage, "reentries stopped by the storage guard").to.be.greaterThan(0)
    expect(mix.okPrefix("swap:"), "swaps").to.be.greaterThan(0)
    expect(mix.ok("erc20:disjoint") + mix.ok("erc20:hot"), "ERC-20 transfers").to.be.greaterThan(0)
    expect(mix.events.get("split") ?? 0, "ether forwarded").to.be.greaterThan(0)
    expect(mix.ok("fund:spend"), "accounts funded and spending in one block").to.be.greaterThan(0)
    expect(mix.blocksWithNonceChains, "blocks with nonce chains").to.be.greaterThan(0)
    expect(mix.parallel.reExecutions + mix.parallel.dependencyWaits, "conflicts the parallel executor had to resolve").to.be.greaterThan(0)
  })

  group(`${INVALID_BLOCKS} random blocks with invalid transactions (exclude)`, INVALID_SEED_BASE + FIRST_SEED, INVALID_BLOCKS, (mix) => {
    expect(mix.excluded, "excluded transactions").to.be.greaterThan(0)
    for (const kind of ["nonce-gap", "nonce-replay", "unfunded", "spent", "underpriced", "over-block-gas", "duplicate"]) {
      expect(mix.excludedPrefix(`invalid:${kind}`), `excluded invalid:${kind}`).to.be.greaterThan(0)
    }
    expect(mix.ok("eth:after-gap") + mix.ok("fund:spend"), "transactions valid only after an earlier one in the block").to.be.greaterThan(0)
  })
})
