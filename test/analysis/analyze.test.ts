/**
 * analyzeRun over real runs: contracts compiled with solc, deployed and called
 * through a PevmProvider with recording on (batches mined as one block), the
 * run record taken and analysed. Each scenario is its own chain, so each
 * record holds only its contracts.
 */
import { expect } from "chai"

import { analyzeRun, shortAddress, type AnalysisReport, type AnalyzeOptions, type ContractReport } from "../../src/analysis/index.js"
import { shutdownExecutors } from "../../src/engine/index.js"
import type { Hex } from "../../src/engine/types.js"
import { mergeRunRecords, type RunRecord } from "../../src/network/record.js"
import { ACCOUNTS, TestChain, fakeAddress, testArtifacts } from "./helpers.js"
import { expectClose } from "../fixtures/approx.js"

const TOKENS = 10n ** 21n

function contract(report: AnalysisReport, name: string): ContractReport {
  const found = report.contracts.find((c) => c.name === name)
  if (found === undefined) throw new Error(`no ${name} in the report: ${report.contracts.map((c) => c.name).join(", ")}`)
  return found
}

/** Runs `scenario` on a fresh chain and analyses what it recorded. */
async function analyse(scenario: (chain: TestChain) => Promise<void>, options: AnalyzeOptions = {}): Promise<AnalysisReport> {
  const chain = new TestChain()
  try {
    await scenario(chain)
    return await analyzeRun(chain.record(), testArtifacts(), { replay: { workers: 2 }, ...options })
  } finally {
    await chain.close()
  }
}

async function fundAll(chain: TestChain, addresses: readonly Hex[]): Promise<void> {
  for (const address of addresses) await chain.fund(address)
}

const senders = (n: number, tag: string): Hex[] => Array.from({ length: n }, (_, i) => fakeAddress(`${tag}-sender-${i}`))

describe("analysis: analyzeRun on recorded runs", function () {
  after(() => shutdownExecutors())

  describe("an NFT minted through a global counter", function () {
    let report: AnalysisReport
    const minters = senders(16, "nft")
    before(async function () {
      report = await analyse(async (chain) => {
        await fundAll(chain, minters)
        const nft = await chain.deploy("Nft")
        await chain.automine(false)
        for (const m of minters.slice(0, 8)) await chain.send(m, nft, "Nft", "mint")
        await chain.mine()
        for (const m of minters.slice(8)) await chain.send(m, nft, "Nft", "mint")
        // Token 3 goes from minter 3 to 0x7099…79C8 and on to minter 5: _owners[3] has three writers, two keyed by an argument.
        await chain.send(minters[3] as Hex, nft, "Nft", "transfer", [ACCOUNTS[1], 3n])
        await chain.mine()
        await chain.send(ACCOUNTS[1] as Hex, nft, "Nft", "transfer", [minters[5], 3n])
        await chain.mine()
      })
    })

    it("attributes every call to Nft.mint and the deployment to (deploy)", function () {
      const nft = contract(report, "Nft")
      expect(nft.transactions).to.equal(19)
      expect(nft.deployments).to.equal(1)
      expect(nft.directTransactions).to.equal(18)
      expect(nft.functions.map((f) => [f.signature, f.transactions])).to.deep.equal([
        ["mint()", 16],
        ["transfer(address,uint256)", 2],
        ["(deploy)", 1],
      ])
      expect(nft.functions[0]?.selector).to.equal("0x1249c58b")
      expect(nft.addresses).to.have.length(1)
      expect(report.totals.transactions).to.equal(19)
      expect(report.totals.unattributedTransactions).to.equal(0)
    })

    it("reports the counter as the structural hot slot, with the counter suggestion and a bound near 1", function () {
      const nft = contract(report, "Nft")
      const counter = nft.hotSlots[0]
      expect(counter).to.deep.include({ name: "Nft.nextId", named: true, kind: "structural", writers: 16, type: "uint256" })
      expect(counter?.slot).to.equal(`0x${"0".repeat(64)}`)
      expectClose(counter?.writeShare, 16 / 18, 1e-9)
      expect(counter?.conflicts).to.equal(15)
      expect(counter?.writeConflicts).to.equal(15)
      expect(counter?.functions).to.deep.equal(["mint()"])
      expect(nft.speedupBound.transactions).to.equal(18)
      expect(nft.speedupBound.bound).to.be.below(1.2)
      expect(nft.speedupBound.longestChain).to.be.at.least(16)
      const suggestion = nft.suggestions.find((s) => s.pattern === "global-counter")
      expect(suggestion).to.deep.include({ slot: "Nft.nextId", functions: ["mint()"] })
      expect(suggestion?.fix).to.match(/shard/i)
      expect(nft.suggestions.map((s) => s.slot)).to.not.include("Nft._owners[3]")
    })

    it("shows mint -> mint read-after-write conflicts at rate 1, both over the history and within mined blocks", function () {
      const pair = contract(report, "Nft").conflicts.find((c) => c.from === "mint()" && c.to === "mint()" && c.kind === "read-after-write")
      expect(pair).to.deep.include({ count: 15, rate: 1 })
      // Two batches of 8: 7 + 7 of the 15 followed a mint in their own block; one followed the other block.
      expect(pair?.sameBlockCount).to.equal(14)
      expect(pair?.slots[0]).to.equal("Nft.nextId")
      // Reported apart: each mint also overwrote the counter that the mint before it wrote.
      const overwrite = contract(report, "Nft").conflicts.find((c) => c.from === "mint()" && c.to === "mint()" && c.kind === "write-after-write")
      expect(overwrite).to.deep.include({ count: 15, rate: 1, sameBlockCount: 14 })
    })

    it("calls an entry keyed by an argument data-dependent", function () {
      const owner = contract(report, "Nft").hotSlots.find((s) => s.name === "Nft._owners[3]")
      expect(owner).to.deep.include({ kind: "data-dependent", writers: 3 })
      // Judged by the transactions that conflicted on it: the two transfers that followed the mint, both keyed by their tokenId argument.
      expect(owner?.kindReason).to.match(/sender or an argument \(in 2 of 2 conflicting transactions\)/)
    })

    it("replays the mints through the engine, sequential and parallel, faithfully", function () {
      const replay = contract(report, "Nft").replay
      expect(replay).to.not.equal(undefined)
      expect(replay).to.deep.include({ transactions: 18, capped: false, workers: 2, divergent: 0, fellBack: false })
      expect(replay?.incarnations).to.equal((replay?.transactions ?? 0) + (replay?.reExecutions ?? 0))
      expect(replay?.sequentialMs).to.be.greaterThan(0)
      expect(replay?.parallelMs).to.be.greaterThan(0)
      expectClose(replay?.speedup, (replay?.sequentialMs ?? 0) / (replay?.parallelMs ?? 1), 0.01)
    })
  })

  describe("an OpenZeppelin ERC-20 with disjoint transfers", function () {
    let report: AnalysisReport
    const holders = senders(24, "erc20")
    before(async function () {
      report = await analyse(async (chain) => {
        await fundAll(chain, holders)
        const token = await chain.deploy("Token", [holders, TOKENS])
        await chain.automine(false)
        for (const [i, h] of holders.entries()) {
          await chain.send(h, token, "Token", "transfer", [fakeAddress(`erc20-recipient-${i}`), 5n])
          if (i === 11) await chain.mine()
        }
        await chain.mine()
      })
    })

    it("has no structural hot slot, no conflicts, and a bound of at least 0.8 x the transactions", function () {
      const token = contract(report, "Token")
      expect(token.functions[0]).to.deep.include({ signature: "transfer(address,uint256)", transactions: 24, reverted: 0 })
      expect(token.hotSlots.filter((s) => s.kind === "structural")).to.deep.equal([])
      expect(token.conflicts).to.deep.equal([])
      expect(token.speedupBound.transactions).to.equal(24)
      expect(token.speedupBound.bound).to.be.at.least(0.8 * 24)
      expect(token.speedupBound.longestChain).to.equal(1)
      expect(token.suggestions).to.deep.equal([])
    })

    it("replays without re-executions or divergences", function () {
      const replay = contract(report, "Token").replay
      expect(replay).to.deep.include({ transactions: 24, divergent: 0, reExecutions: 0, validationAborts: 0 })
    })
  })

  describe("a token that burns a fee and counts on every transfer", function () {
    let report: AnalysisReport
    const holders = senders(12, "fee")
    before(async function () {
      report = await analyse(async (chain) => {
        await fundAll(chain, holders)
        const token = await chain.deploy("FeeToken", [holders, TOKENS])
        await chain.automine(false)
        for (const [i, h] of holders.entries()) await chain.send(h, token, "FeeToken", "transfer", [fakeAddress(`fee-recipient-${i}`), 1000n])
        await chain.mine()
      })
    })

    it("flags the total supply and the transfer counter, each with its suggestion", function () {
      const token = contract(report, "FeeToken")
      const supply = token.hotSlots.find((s) => s.name === "FeeToken._totalSupply")
      const counter = token.hotSlots.find((s) => s.name === "FeeToken.transferCount")
      expect(supply).to.deep.include({ kind: "structural", writers: 12, writeShare: 1, conflicts: 11 })
      expect(counter).to.deep.include({ kind: "structural", writers: 12, writeShare: 1, conflicts: 11 })
      const patterns = token.suggestions.map((s) => [s.pattern, s.slot, s.functions])
      expect(patterns).to.deep.include(["total-supply", "FeeToken._totalSupply", ["transfer(address,uint256)"]])
      expect(patterns).to.deep.include(["global-counter", "FeeToken.transferCount", ["transfer(address,uint256)"]])
      expect(token.speedupBound.bound).to.be.below(1.2)
      // The burn's _balances[0x0] is never written (a burn only lowers the supply), so no balance is structural.
      expect(token.hotSlots.filter((s) => s.kind === "structural").map((s) => s.name).sort()).to.deep.equal(["FeeToken._totalSupply", "FeeToken.transferCount"])
    })
  })

  describe("constant-product pools", function () {
    const traders = senders(16, "pool")
    const swaps = async (chain: TestChain, pools: number): Promise<void> => {
      await fundAll(chain, traders)
      const addresses: Hex[] = []
      for (let i = 0; i < pools; i++) addresses.push(await chain.deploy("Pool", [10n ** 24n, 10n ** 24n]))
      await chain.automine(false)
      for (const [i, t] of traders.entries()) await chain.send(t, addresses[i % pools] as Hex, "Pool", "swap0for1", [1000n + BigInt(i)])
      await chain.mine()
    }

    it("one pool: every swap writes the packed reserves, a structural hot slot, and the bound is near 1", async function () {
      const pool = contract(await analyse((chain) => swaps(chain, 1)), "Pool")
      const reserves = pool.hotSlots[0]
      expect(reserves?.name).to.equal("Pool.reserve0 / Pool.reserve1 / Pool.blockTimestampLast")
      expect(reserves?.packed).to.deep.equal(["reserve0", "reserve1", "blockTimestampLast"])
      expect(reserves).to.deep.include({ kind: "structural", writers: 16, writeShare: 1, conflicts: 15 })
      expect(pool.speedupBound.bound).to.be.below(1.2)
      expect(pool.suggestions.map((s) => s.pattern)).to.deep.equal(["global-accumulator"])
      expect(pool.suggestions[0]?.message).to.include("Pool.reserve0")
    })

    it("eight pools: no reserve slot is written by more than an eighth of the swaps, and the bound is high", async function () {
      const pool = contract(await analyse((chain) => swaps(chain, 8)), "Pool")
      expect(pool.addresses).to.have.length(8)
      const reserves = pool.hotSlots.filter((s) => s.name.startsWith("Pool.reserve0"))
      expect(reserves).to.have.length(8)
      for (const slot of reserves) expect(slot.writeShare).to.be.at.most(2 / 16)
      expect(Math.max(...pool.hotSlots.map((s) => s.writeShare))).to.be.at.most(2 / 16)
      expect(pool.speedupBound.bound).to.be.at.least(7)
      expect(pool.suggestions).to.deep.equal([])
    })
  })

  describe("storage reentrancy guards", function () {
    let report: AnalysisReport
    const users = senders(12, "guard")
    before(async function () {
      report = await analyse(async (chain) => {
        await fundAll(chain, users)
        const vault = await chain.deploy("Vault")
        const locked = await chain.deploy("Locked")
        await chain.automine(false)
        for (const u of users) await chain.send(u, vault, "Vault", "deposit", [], 10n ** 18n)
        await chain.mine()
        for (const [i, u] of users.entries()) {
          await chain.send(u, locked, "Locked", "note", [BigInt(i + 1)])
          if (i % 2 === 0) await chain.send(u, vault, "Vault", "withdraw", [10n ** 17n])
        }
        await chain.mine()
      })
    })

    it("does not count OpenZeppelin's guard slot as a conflict, and says why", function () {
      const vault = contract(report, "Vault")
      expect(vault.ignoredSlots).to.have.length(1)
      const guard = vault.ignoredSlots[0]
      expect(guard).to.deep.include({ name: "Vault.ReentrancyGuard._status", reason: "storage-reentrancy-guard", transactions: 18 })
      expect(guard?.slot).to.equal("0x9b779b17422d0df92223018b32b4d1fa46e071723d6817e2486d003becc55f00")
      expect(guard?.functions).to.deep.equal(["deposit()", "withdraw(uint256)"])
      expect(guard?.explanation).to.match(/1 -> 2 -> 1/)
      expect(guard?.explanation).to.match(/engine drops the write/)
      expect(vault.hotSlots.map((s) => s.slot)).to.not.include(guard?.slot)
      for (const pair of vault.conflicts) expect(pair.slots).to.not.include(guard?.name)
      // Deposits credit the vault's ETH balance commutatively and write per-user balances: they never conflict.
      expect(vault.conflicts.filter((c) => c.from === "deposit()" && c.to === "deposit()")).to.deep.equal([])
      // Withdrawals debit the vault's ETH balance, which every deposit before them credited: that is the real conflict.
      const vaultEth = `Vault (ETH balance of ${shortAddress(vault.addresses[0] as string)})`
      const withdrawals = vault.conflicts.find((c) => c.from === "deposit()" && c.to === "withdraw(uint256)" && c.kind === "read-after-write")
      expect(withdrawals).to.deep.include({ count: 6, rate: 1 })
      expect(withdrawals?.slots).to.include(vaultEth)
      expect(vault.conflicts.find((c) => c.from === "withdraw(uint256)" && c.to === "withdraw(uint256)" && c.kind === "read-after-write")?.slots).to.deep.equal([vaultEth])
      expect(vault.hotSlots.every((s) => s.kind === "data-dependent")).to.equal(true)
      const suggestion = vault.suggestions.find((s) => s.pattern === "storage-reentrancy-guard")
      expect(suggestion?.slot).to.equal("Vault.ReentrancyGuard._status")
      expect(suggestion?.fix).to.match(/EIP-1153/)
    })

    it("finds a guard kept in an ordinary state variable too, by its layout name", function () {
      const locked = contract(report, "Locked")
      expect(locked.ignoredSlots.map((s) => [s.name, s.reason, s.transactions])).to.deep.equal([["Locked.locked", "storage-reentrancy-guard", 12]])
      expect(locked.conflicts).to.deep.equal([])
      expect(locked.speedupBound.bound).to.be.at.least(0.8 * 12)
      expect(locked.suggestions.map((s) => [s.pattern, s.slot])).to.deep.equal([["storage-reentrancy-guard", "Locked.locked"]])
    })

    it("leaves guard detection off when asked, and then reports no ignored slot", async function () {
      const plain = await analyse(
        async (chain) => {
          await fundAll(chain, users.slice(0, 3))
          const locked = await chain.deploy("Locked")
          for (const u of users.slice(0, 3)) await chain.send(u, locked, "Locked", "note", [7n])
        },
        { detectGuards: false, replay: false },
      )
      expect(contract(plain, "Locked").ignoredSlots).to.deep.equal([])
      expect(contract(plain, "Locked").replay).to.equal(undefined)
    })
  })

  describe("a token called through a router", function () {
    let report: AnalysisReport
    let record: RunRecord
    const holders = senders(8, "router")
    before(async function () {
      const chain = new TestChain()
      try {
        await fundAll(chain, holders)
        const token = await chain.deploy("Token", [holders, TOKENS])
        const router = await chain.deploy("Router")
        await chain.automine(false)
        for (const h of holders) await chain.send(h, token, "Token", "approve", [router, 10n ** 20n])
        await chain.mine()
        for (const [i, h] of holders.entries()) await chain.send(h, router, "Router", "pay", [token, fakeAddress(`router-recipient-${i}`), 7n])
        await chain.mine()
        record = chain.record()
      } finally {
        await chain.close()
      }
      report = await analyzeRun(record, testArtifacts(), { replay: false })
    })

    it("without call frames, attributes each transaction by its target's code and selector only", async function () {
      const bare: RunRecord = {
        ...record,
        sessions: record.sessions.map((s) => ({ ...s, transactions: s.transactions.map(({ calls: _calls, ...tx }) => tx) })),
      }
      const plain = await analyzeRun(bare, testArtifacts(), { replay: false, detectGuards: false })
      const token = contract(plain, "Token")
      expect(token.functions.map((f) => [f.signature, f.transactions])).to.deep.equal([
        ["approve(address,uint256)", 8],
        ["(deploy)", 1],
      ])
      expect(contract(plain, "Router").functions.map((f) => [f.signature, f.transactions])).to.deep.include(["pay(address,address,uint256)", 8])
    })

    it("counts the router's calls for the token's transferFrom, and the router (with an immutable) is matched", function () {
      const token = contract(report, "Token")
      const router = contract(report, "Router")
      expect(token.transactions).to.equal(17)
      expect(token.directTransactions).to.equal(8)
      expect(token.functions.map((f) => [f.signature, f.transactions])).to.deep.include(["transferFrom(address,address,uint256)", 8])
      expect(router.functions.map((f) => [f.signature, f.transactions])).to.deep.include(["pay(address,address,uint256)", 8])
    })

    it("names allowances with both keys and sees approve -> transferFrom conflicts on them", function () {
      const token = contract(report, "Token")
      const allowance = token.hotSlots.find((s) => s.name.startsWith("Token._allowances["))
      expect(allowance?.name).to.match(/^Token\._allowances\[0x[0-9a-fA-F]{4}…[0-9a-fA-F]{4}\]\[0x[0-9a-fA-F]{4}…[0-9a-fA-F]{4}\]$/)
      expect(allowance).to.deep.include({ kind: "data-dependent", writers: 2 })
      const pair = token.conflicts.find((c) => c.from === "approve(address,uint256)" && c.to === "transferFrom(address,address,uint256)" && c.kind === "read-after-write")
      expect(pair).to.deep.include({ count: 8, rate: 1, sameBlockCount: 0 })
    })
  })

  describe("a registry with a shared array and a last-updated timestamp", function () {
    it("suggests against the array push and the global timestamp", async function () {
      const members = senders(10, "registry")
      const report = await analyse(async (chain) => {
        await fundAll(chain, members)
        const registry = await chain.deploy("Registry")
        await chain.automine(false)
        // Two joins per block: the timestamp changes from block to block.
        for (const [i, m] of members.entries()) {
          await chain.send(m, registry, "Registry", "join", [BigInt(i + 1)])
          if (i % 2 === 1) await chain.mine()
        }
      })
      const registry = contract(report, "Registry")
      expect(registry.hotSlots.find((s) => s.name === "Registry.members")).to.deep.include({ kind: "structural", writers: 10, type: "address[]" })
      const patterns = new Map(registry.suggestions.map((s) => [s.slot, s]))
      expect(patterns.get("Registry.members")?.pattern).to.equal("array-length")
      expect(patterns.get("Registry.lastUpdate")?.pattern).to.equal("global-accumulator")
      expect(patterns.get("Registry.lastUpdate")?.message).to.match(/last-updated timestamp/)
      expect(registry.hotSlots.find((s) => s.name === "Registry.lastUpdate")).to.deep.include({ kind: "structural", writers: 5 })
    })
  })

  describe("snapshot reverts, as loadFixture makes before every test", function () {
    let report: AnalysisReport
    const minters = senders(3, "branches")
    before(async function () {
      report = await analyse(async (chain) => {
        await fundAll(chain, minters)
        const nft = await chain.deploy("Nft")
        // Three tests, each from the fixture's snapshot, each minting token 0; the last one also transfers it.
        for (const [i, minter] of minters.entries()) {
          const snapshot = await chain.call("evm_snapshot")
          await chain.send(minter, nft, "Nft", "mint")
          if (i === minters.length - 1) await chain.send(minter, nft, "Nft", "transfer", [ACCOUNTS[1], 0n])
          await chain.call("evm_revert", [snapshot])
        }
      })
    })

    it("does not link a transaction to writers on a branch that a revert threw away", function () {
      const nft = contract(report, "Nft")
      expect(nft.conflicts.filter((c) => c.from === "mint()" && c.to === "mint()")).to.deep.equal([])
      const transfer = nft.conflicts.find((c) => c.from === "mint()" && c.to === "transfer(address,uint256)" && c.kind === "read-after-write")
      expect(transfer?.count).to.equal(1)
      // Only the transfer waits, on the mint of its own branch.
      expect(nft.speedupBound.longestChain).to.equal(2)
    })

    it("calls token 0's entry data-dependent: the mints never met, and the transfer that followed one chose the token", function () {
      const owner = contract(report, "Nft").hotSlots.find((s) => s.name === "Nft._owners[0]")
      expect(owner).to.deep.include({ kind: "data-dependent", writers: 4 })
      expect(owner?.kindReason).to.match(/keyed by the sender or an argument \(in 1 of 1 conflicting transactions\)/)
    })

    it("replays only the fullest branch, which runs as it was recorded", function () {
      const replay = contract(report, "Nft").replay
      // The last test's mint and transfer (two transactions): the other mints lie on branches that were reverted.
      expect(replay?.transactions).to.equal(2)
      expect(replay?.divergent).to.equal(0)
      expect(report.warnings).to.include(
        "Nft: the speedup bound and the replay take the 2 of its 4 transactions that ran one after another on one chain of blocks; the other 2 ran on branches that snapshot reverts (loadFixture) split off",
      )
    })
  })

  describe("loadFixture's reverts with a global counter: four tests of three mints each", function () {
    let report: AnalysisReport
    const testers = senders(4, "fixture")
    before(async function () {
      report = await analyse(async (chain) => {
        await fundAll(chain, testers)
        const nft = await chain.deploy("Nft")
        let snapshot = await chain.call("evm_snapshot")
        for (const [i, tester] of testers.entries()) {
          // loadFixture: back to the fixture's snapshot (used up), and a new one for the next test.
          await chain.call("evm_revert", [snapshot])
          snapshot = await chain.call("evm_snapshot")
          for (let n = 0; n < 3; n++) await chain.send(tester, nft, "Nft", "mint")
          if (i === testers.length - 1) await chain.send(tester, nft, "Nft", "transfer", [ACCOUNTS[1], 0n])
        }
      })
    })

    it("keeps the counter structural, with its suggestion: every mint after another on its chain conflicts", function () {
      const nft = contract(report, "Nft")
      expect(nft.hotSlots.find((s) => s.name === "Nft.nextId")).to.deep.include({ kind: "structural", writers: 12, conflicts: 8, writeConflicts: 8 })
      expect(nft.suggestions.map((s) => [s.pattern, s.slot])).to.deep.include(["global-counter", "Nft.nextId"])
      // Each test's first mint has no mint before it on its chain: 8 opportunities, 8 conflicts (counted over all tests, 8 of 11).
      const mints = nft.conflicts.find((c) => c.from === "mint()" && c.to === "mint()" && c.kind === "read-after-write")
      expect(mints).to.deep.include({ count: 8, rate: 1 })
    })

    it("calls the token ids' entries data-dependent: each test mints tokens 0 to 2 again, and they never meet", function () {
      const nft = contract(report, "Nft")
      for (const id of [0, 1, 2]) {
        const owner = nft.hotSlots.find((s) => s.name === `Nft._owners[${id}]`)
        expect(owner, `_owners[${id}]`).to.deep.include({ kind: "data-dependent", writers: id === 0 ? 5 : 4, writeConflicts: id === 0 ? 1 : 0 })
      }
      expect(nft.hotSlots.filter((s) => s.kind === "structural").map((s) => s.name)).to.deep.equal(["Nft.nextId"])
    })

    it("bounds the speedup by one test's chain, where the mints wait for each other, not by the tests side by side", function () {
      const bound = contract(report, "Nft").speedupBound
      // The last test: three mints on the counter, then the transfer of token 0 (its balance entry was last written by the third mint).
      expect(bound).to.deep.include({ transactions: 4, longestChain: 4 })
      expect(bound.bound).to.equal(1)
      expect(contract(report, "Nft").replay).to.deep.include({ transactions: 4, divergent: 0 })
    })
  })

  describe("two sessions (two connections) that deploy the contract at the same address", function () {
    let report: AnalysisReport
    before(async function () {
      const records: RunRecord[] = []
      for (const tag of ["first", "second"]) {
        const chain = new TestChain()
        try {
          const minters = senders(2, `session-${tag}`)
          await fundAll(chain, minters)
          const nft = await chain.deploy("Nft")
          for (const m of minters) await chain.send(m, nft, "Nft", "mint")
          records.push(chain.record())
        } finally {
          await chain.close()
        }
      }
      expect(records[0]?.sessions[0]?.id).not.to.equal(records[1]?.sessions[0]?.id)
      report = await analyzeRun(mergeRunRecords(records), testArtifacts(), { replay: false })
    })

    it("shows the slot once, with the counts of both", function () {
      const nft = contract(report, "Nft")
      expect(nft.addresses).to.have.length(1)
      const counters = nft.hotSlots.filter((s) => s.name.startsWith("Nft.nextId"))
      expect(counters).to.have.length(1)
      // Each session's second mint conflicts with its first; never one session's with the other's.
      expect(counters[0]).to.deep.include({ name: "Nft.nextId", writers: 4, writeShare: 1, conflicts: 2, writeConflicts: 2 })
    })

    it("counts a conflict opportunity only after a transaction of the same session", function () {
      const mints = contract(report, "Nft").conflicts.find((c) => c.from === "mint()" && c.to === "mint()" && c.kind === "read-after-write")
      expect(mints).to.deep.include({ count: 2, rate: 1 })
      expect(contract(report, "Nft").speedupBound).to.deep.include({ transactions: 2, longestChain: 2 })
      expect(report.warnings).to.include(
        "Nft: the speedup bound takes the 2 of its 4 transactions that ran one after another on one chain of blocks; the other 2 ran in other sessions",
      )
    })
  })

  describe("another contract's transaction in between changes what a later one reads", function () {
    it("replays the longest run that the others left alone, which runs as recorded", async function () {
      const holders = senders(4, "run")
      const report = await analyse(async (chain) => {
        await fundAll(chain, holders)
        const token = await chain.deploy("Token", [holders, TOKENS])
        const router = await chain.deploy("Router")
        for (const h of holders) await chain.send(h, token, "Token", "approve", [router, 10n ** 20n])
        for (const [i, h] of holders.entries()) await chain.send(h, router, "Router", "pay", [token, fakeAddress(`run-recipient-${i}`), 7n])
        // Token only (not the router's): the first holder takes the router's allowance back...
        await chain.send(holders[0] as Hex, token, "Token", "approve", [router, 0n])
        // ...so its next payment reverts; in a block of the router's transactions alone it would not.
        const failed = await chain.send(holders[0] as Hex, router, "Router", "pay", [token, fakeAddress("run-late"), 7n]).then(
          () => undefined,
          (e: unknown) => e as Error,
        )
        expect(failed?.message).to.include("VM Exception while processing transaction")
        for (const h of holders.slice(1, 3)) await chain.send(h, router, "Router", "pay", [token, fakeAddress("run-late"), 7n])
      })
      const router = contract(report, "Router")
      expect(router.speedupBound.transactions).to.equal(7)
      // The four payments before the approve; the three after it are the shorter run.
      expect(router.replay).to.deep.include({ transactions: 4, divergent: 0 })
      expect(report.warnings.some((w) => w.startsWith("Router: replayed 4 of the 7 transactions of that chain, the longest run that other transactions in between left alone"))).to.equal(true)
    })
  })

  describe("replay divergences and progress", function () {
    it("says when the replay differs from the record (state set by hand in between)", async function () {
      const user = ACCOUNTS[1] as Hex
      const steps: [number, number, string][] = []
      const report = await analyse(
        async (chain) => {
          const vault = await chain.deploy("Vault")
          await chain.send(user, vault, "Vault", "deposit", [], 10n ** 18n)
          // The record has no transaction for this: the withdrawal fails here, and succeeds in the replay.
          await chain.call("hardhat_setBalance", [vault, "0x0"])
          // Mined, reverted, and thrown as Hardhat does with automine.
          const failed = await chain.send(user, vault, "Vault", "withdraw", [10n ** 18n]).then(
            () => undefined,
            (e: unknown) => e as Error,
          )
          expect(failed?.message).to.include("send failed")
        },
        { onProgress: (done, total, label) => steps.push([done, total, label]) },
      )
      const replay = contract(report, "Vault").replay
      expect(replay?.transactions).to.equal(2)
      expect(replay?.divergent).to.equal(1)
      expect(replay?.divergences[0]).to.match(/succeeded in the replay, reverted in the record/)
      expect(report.warnings.some((w) => w.startsWith("Vault: the replay differs from the record for 1 of 2"))).to.equal(true)
      // Progress: never backwards, ends at the total, and names the replay while it runs.
      expect(steps.length).to.be.greaterThan(3)
      for (let i = 1; i < steps.length; i++) expect(steps[i]?.[0]).to.be.at.least(steps[i - 1]?.[0] ?? 0)
      const last = steps.at(-1) as [number, number, string]
      expect(last[0]).to.equal(last[1])
      expect(steps.some(([, , label]) => /^replaying Vault: parallel run/.test(label))).to.equal(true)
    })

    it("caps the replay at maxTransactions", async function () {
      const minters = senders(6, "cap")
      const report = await analyse(
        async (chain) => {
          await fundAll(chain, minters)
          const nft = await chain.deploy("Nft")
          await chain.automine(false)
          for (const m of minters) await chain.send(m, nft, "Nft", "mint")
          await chain.mine()
        },
        { replay: { workers: 2, maxTransactions: 4, repeat: 1 } },
      )
      expect(contract(report, "Nft").replay).to.deep.include({ transactions: 4, capped: true, divergent: 0 })
    })
  })
})
