/**
 * eth_getLogs and installed filters (eth_newFilter, eth_newBlockFilter,
 * eth_newPendingTransactionFilter, eth_getFilterChanges, eth_getFilterLogs,
 * eth_uninstallFilter): address and topic matching, block ranges, and what
 * each poll reports, as on Hardhat's EDR network.
 */
import { expect } from "chai"
import { AbiCoder, id as topicOf, zeroPadValue } from "ethers"

import { PevmProvider } from "../../src/network/provider.js"
import { A0, A1, A2, HASH_NOT_FOUND, caller, deployProbe, encode, expectInvalidParam, hexOf, type Call } from "./probe.js"

const STORED = topicOf("Stored(address,uint256,uint256)")
const NOTE = topicOf("Note(string)")
const who = (address: string) => zeroPadValue(address, 32)
const word = (value: number) => `0x${value.toString(16).padStart(64, "0")}`

interface Log {
  address: string
  topics: string[]
  data: string
  blockNumber: string
  blockHash: string
  blockTimestamp: string
  transactionHash: string
  transactionIndex: string
  logIndex: string
  removed: boolean
}

describe("network: logs and filters", function () {
  let provider: PevmProvider
  const call: Call = caller(() => provider)
  let probe: string
  let other: string
  const hashes: string[] = []

  /**
   * Blocks: 1 deploys probe; 2 A0 set(1, 11); 3 A1 set(2, 22); 4 A0 note("hi");
   * 5 deploys other; 6 A2 set(1, 5) on other.
   */
  beforeEach(async () => {
    provider = new PevmProvider({ workers: 2, printLine: () => undefined })
    hashes.length = 0
    probe = await deployProbe(call)
    const send = async (from: string, to: string, data: string) => hashes.push((await call("eth_sendTransaction", [{ from, to, data }])) as string)
    await send(A0, probe, encode("set", [1, 11]))
    await send(A1, probe, encode("set", [2, 22]))
    await send(A0, probe, encode("note", ["hi"]))
    other = await deployProbe(call)
    await send(A2, other, encode("set", [1, 5]))
  })
  afterEach(() => provider.close())

  const getLogs = (filter: Record<string, unknown>) => call("eth_getLogs", [filter]) as Promise<Log[]>
  const blocksOf = (logs: Log[]) => logs.map((l) => Number(l.blockNumber))

  describe("eth_getLogs", function () {
    it("returns every log with Hardhat's fields", async function () {
      const logs = await getLogs({ fromBlock: "earliest" })
      expect(blocksOf(logs)).to.deep.equal([2, 3, 4, 6])
      const block = (await call("eth_getBlockByNumber", ["0x2", false])) as { hash: string; timestamp: string }
      expect(logs[0]).to.deep.equal({
        address: probe,
        topics: [STORED, who(A0), word(1)],
        data: word(11),
        transactionHash: hashes[0],
        blockHash: block.hash,
        blockNumber: "0x2",
        blockTimestamp: block.timestamp,
        logIndex: "0x0",
        transactionIndex: "0x0",
        removed: false,
      })
      expect(logs[2]?.topics).to.deep.equal([NOTE])
      expect(logs[2]?.data).to.equal(AbiCoder.defaultAbiCoder().encode(["string"], ["hi"]))
      // The receipt carries the same log.
      const receipt = (await call("eth_getTransactionReceipt", [hashes[0]])) as { logs: Log[] }
      expect(receipt.logs).to.deep.equal([logs[0]])
    })

    it("filters by address: one, or any of a list", async function () {
      expect(blocksOf(await getLogs({ fromBlock: "0x0", address: probe }))).to.deep.equal([2, 3, 4])
      expect(blocksOf(await getLogs({ fromBlock: "0x0", address: other }))).to.deep.equal([6])
      expect(blocksOf(await getLogs({ fromBlock: "0x0", address: [other, probe] }))).to.deep.equal([2, 3, 4, 6])
      expect(await getLogs({ fromBlock: "0x0", address: A1 })).to.deep.equal([])
      // Addresses match whatever their case.
      expect(blocksOf(await getLogs({ fromBlock: "0x0", address: other.toUpperCase().replace("0X", "0x") }))).to.deep.equal([6])
    })

    it("filters by topics: positions, null wildcards, OR lists", async function () {
      expect(blocksOf(await getLogs({ fromBlock: "0x0", topics: [STORED] }))).to.deep.equal([2, 3, 6])
      expect(blocksOf(await getLogs({ fromBlock: "0x0", topics: [NOTE] }))).to.deep.equal([4])
      expect(blocksOf(await getLogs({ fromBlock: "0x0", topics: [[STORED, NOTE]] }))).to.deep.equal([2, 3, 4, 6])
      expect(blocksOf(await getLogs({ fromBlock: "0x0", topics: [null, who(A0)] }))).to.deep.equal([2])
      expect(blocksOf(await getLogs({ fromBlock: "0x0", topics: [null, [who(A1), who(A2)]] }))).to.deep.equal([3, 6])
      expect(blocksOf(await getLogs({ fromBlock: "0x0", topics: [STORED, null, word(1)] }))).to.deep.equal([2, 6])
      expect(blocksOf(await getLogs({ fromBlock: "0x0", topics: [STORED, who(A0), word(2)] }))).to.deep.equal([])
      expect(blocksOf(await getLogs({ fromBlock: "0x0", topics: [] }))).to.deep.equal([2, 3, 4, 6])
      // EDR (like geth): more topic positions than a log has topics never match, even as nulls.
      expect(blocksOf(await getLogs({ fromBlock: "0x0", topics: [null, null] }))).to.deep.equal([2, 3, 6])
      expect(await getLogs({ fromBlock: "0x0", topics: [null, null, null, null] })).to.deep.equal([])
      // EDR: an empty list at a position matches nothing.
      expect(await getLogs({ fromBlock: "0x0", topics: [[]] })).to.deep.equal([])
    })

    it("block ranges: numbers, tags, a block hash, and numbers past the head", async function () {
      expect(blocksOf(await getLogs({}))).to.deep.equal([6]) // fromBlock and toBlock default to latest
      expect(blocksOf(await getLogs({ fromBlock: "0x3", toBlock: "0x4" }))).to.deep.equal([3, 4])
      expect(blocksOf(await getLogs({ toBlock: "0x3" }))).to.deep.equal([]) // from latest (6) to 3
      expect(blocksOf(await getLogs({ fromBlock: "earliest", toBlock: "0x2" }))).to.deep.equal([2])
      expect(blocksOf(await getLogs({ fromBlock: "0x4", toBlock: "0x2" }))).to.deep.equal([])
      for (const tag of ["latest", "pending", "safe", "finalized"]) {
        expect(blocksOf(await getLogs({ fromBlock: tag, toBlock: tag })), tag).to.deep.equal([6])
        expect(blocksOf(await getLogs({ fromBlock: "0x3", toBlock: tag })), tag).to.deep.equal([3, 4, 6])
      }
      const block3 = (await call("eth_getBlockByNumber", ["0x3", false])) as { hash: string }
      expect(blocksOf(await getLogs({ blockHash: block3.hash }))).to.deep.equal([3])
      expect(blocksOf(await getLogs({ blockHash: block3.hash, topics: [NOTE] }))).to.deep.equal([])
      // Past the head: nothing, or up to the head (EDR).
      expect(await getLogs({ fromBlock: "0x9", toBlock: "0x10" })).to.deep.equal([])
      expect(blocksOf(await getLogs({ fromBlock: "0x4", toBlock: "0x10" }))).to.deep.equal([4, 6])
    })

    it("log and transaction indexes count across a block of several transactions", async function () {
      await call("evm_setAutomine", [false])
      const first = (await call("eth_sendTransaction", [{ from: A0, to: probe, data: encode("set", [7, 1]), gas: "0x30000" }])) as string
      const second = (await call("eth_sendTransaction", [{ from: A1, to: other, data: encode("note", ["x"]), gas: "0x30000" }])) as string
      const third = (await call("eth_sendTransaction", [{ from: A2, to: probe, data: encode("set", [8, 2]), gas: "0x30000" }])) as string
      await call("evm_mine")
      const logs = await getLogs({ fromBlock: "latest" })
      expect(logs.map((l) => [l.transactionHash, l.transactionIndex, l.logIndex])).to.deep.equal([
        [first, "0x0", "0x0"],
        [second, "0x1", "0x1"],
        [third, "0x2", "0x2"],
      ])
      expect(((await call("eth_getTransactionReceipt", [third])) as { logs: Log[] }).logs).to.deep.equal([logs[2]])
    })

    it("malformed filters are -32602 naming the field; an unknown block hash is -32602 (EDR)", async function () {
      await expectInvalidParam(call, call("eth_getLogs", [{ address: "0x12" }]), "filter.address")
      await expectInvalidParam(call, call("eth_getLogs", [{ address: [probe, "0x12"] }]), "filter.address[1]")
      await expectInvalidParam(call, call("eth_getLogs", [{ topics: "0x12" }]), "filter.topics")
      await expectInvalidParam(call, call("eth_getLogs", [{ topics: ["0x01"] }]), "filter.topics[0]")
      await expectInvalidParam(call, call("eth_getLogs", [{ topics: [[STORED, 5]] }]), "filter.topics[0][1]")
      await expectInvalidParam(call, call("eth_getLogs", [{ fromBlock: "yesterday" }]), "filter.fromBlock")
      await expectInvalidParam(call, call("eth_getLogs", [{ toBlock: 7 }]), "filter.toBlock")
      await expectInvalidParam(call, call("eth_getLogs", [{ blockHash: "0x12" }]), "filter.blockHash")
      await expectInvalidParam(call, call("eth_getLogs", [{ blockHash: HASH_NOT_FOUND }]), "filter.blockHash")
      await expectInvalidParam(call, call("eth_getLogs", [{ blockHash: HASH_NOT_FOUND, fromBlock: "0x1" }]), "filter")
      await expectInvalidParam(call, call("eth_getLogs", ["0x1"]), "filter")
    })
  })

  describe("installed filters", function () {
    const changes = (id: unknown) => call("eth_getFilterChanges", [id])
    const send = (from: string, to: string, data: string) => call("eth_sendTransaction", [{ from, to, data }]) as Promise<string>

    it("eth_newFilter: the first changes are the logs already in range, then only new ones", async function () {
      const all = await call("eth_newFilter", [{ fromBlock: "0x0", address: probe }])
      expect(all).to.equal("0x1")
      const fromNow = await call("eth_newFilter", [{ topics: [STORED] }]) // fromBlock latest: block 6's log
      expect(blocksOf((await changes(all)) as Log[])).to.deep.equal([2, 3, 4])
      expect(await changes(all)).to.deep.equal([])
      expect(blocksOf((await changes(fromNow)) as Log[])).to.deep.equal([6])
      await send(A1, probe, encode("set", [3, 33]))
      await send(A1, other, encode("note", ["elsewhere"]))
      const fresh = (await changes(all)) as Log[]
      expect(fresh.map((l) => [Number(l.blockNumber), l.topics[2]])).to.deep.equal([[7, word(3)]])
      expect(await changes(all)).to.deep.equal([])
      expect(blocksOf((await changes(fromNow)) as Log[])).to.deep.equal([7])
    })

    it("eth_getFilterLogs reports and takes what eth_getFilterChanges would (one queue, as on EDR); a closed range reports nothing new", async function () {
      const closed = await call("eth_newFilter", [{ fromBlock: "0x0", toBlock: "0x3" }])
      expect(blocksOf((await call("eth_getFilterLogs", [closed])) as Log[])).to.deep.equal([2, 3])
      expect(await call("eth_getFilterLogs", [closed])).to.deep.equal([])
      expect(await changes(closed)).to.deep.equal([])
      await send(A0, probe, encode("set", [4, 44]))
      expect(await changes(closed)).to.deep.equal([])
      const open = await call("eth_newFilter", [{ fromBlock: "0x5", topics: [STORED] }])
      expect(blocksOf((await changes(open)) as Log[])).to.deep.equal([6, 7])
      await send(A0, probe, encode("set", [5, 55]))
      expect(blocksOf((await call("eth_getFilterLogs", [open])) as Log[])).to.deep.equal([8])
      expect(await changes(open)).to.deep.equal([])
    })

    it("eth_newBlockFilter: the head at creation, then every new block in order", async function () {
      const head = (await call("eth_getBlockByNumber", ["latest", false])) as { hash: string }
      const filter = await call("eth_newBlockFilter")
      expect(await changes(filter)).to.deep.equal([head.hash])
      expect(await changes(filter)).to.deep.equal([])
      await call("hardhat_mine", ["0x3"])
      const mined = await Promise.all(["0x7", "0x8", "0x9"].map(async (n) => ((await call("eth_getBlockByNumber", [n, false])) as { hash: string }).hash))
      expect(await changes(filter)).to.deep.equal(mined)
      // Not a log filter: EDR's wording, -32602.
      await expectInvalidParam(call, call("eth_getFilterLogs", [filter]), "Subscription 1 is not a Logs subscription, but a NewHeads subscription")
    })

    it("eth_newPendingTransactionFilter reports transactions as they arrive", async function () {
      const filter = await call("eth_newPendingTransactionFilter")
      expect(await changes(filter)).to.deep.equal([])
      await call("evm_setAutomine", [false])
      const one = await send(A0, A1, "0x")
      const two = await send(A1, A0, "0x")
      expect(await changes(filter)).to.deep.equal([one, two])
      expect(await changes(filter)).to.deep.equal([])
    })

    it("after evm_revert, blocks mined again are reported again", async function () {
      const snapshot = await call("evm_snapshot")
      const blocks = await call("eth_newBlockFilter")
      const logs = await call("eth_newFilter", [{ address: probe }])
      await changes(logs)
      await send(A0, probe, encode("set", [9, 9]))
      await call("hardhat_mine", ["0x2"])
      expect(await changes(blocks)).to.have.length(4)
      expect(blocksOf((await changes(logs)) as Log[])).to.deep.equal([7])
      expect(await call("evm_revert", [snapshot])).to.equal(true)
      await send(A0, probe, encode("set", [9, 10]))
      const again = (await call("eth_getBlockByNumber", ["0x7", false])) as { hash: string }
      expect(await changes(blocks)).to.deep.equal([again.hash])
      const relogged = (await changes(logs)) as Log[]
      expect(relogged.map((l) => [Number(l.blockNumber), l.data])).to.deep.equal([[7, word(10)]])
    })

    it("eth_uninstallFilter: true once, then false; an unknown filter's changes and logs are null (Hardhat)", async function () {
      const filter = await call("eth_newBlockFilter")
      expect(await call("eth_uninstallFilter", [filter])).to.equal(true)
      expect(await call("eth_uninstallFilter", [filter])).to.equal(false)
      expect(await changes(filter)).to.equal(null)
      expect(await call("eth_getFilterLogs", [filter])).to.equal(null)
      expect(await call("eth_getFilterLogs", ["0x99"])).to.equal(null)
      expect(await call("eth_uninstallFilter", ["0x99"])).to.equal(false)
    })

    it("filters belong to their provider", async function () {
      const filter = await call("eth_newBlockFilter")
      const second = new PevmProvider({ workers: 1 })
      try {
        expect(await second.request({ method: "eth_getFilterChanges", params: [filter] })).to.equal(null)
      } finally {
        await second.close()
      }
    })

    it("malformed filter requests are -32602 naming the param", async function () {
      await expectInvalidParam(call, call("eth_newFilter", [{ topics: [["0x12"]] }]), "filter.topics[0][0]")
      await expectInvalidParam(call, call("eth_newFilter", [{ fromBlock: "then" }]), "filter.fromBlock")
      await expectInvalidParam(call, call("eth_newFilter", [null]), "filter")
      await expectInvalidParam(call, call("eth_getFilterChanges", ["one"]), "filterId")
      await expectInvalidParam(call, call("eth_getFilterLogs", [1]), "filterId")
      await expectInvalidParam(call, call("eth_uninstallFilter", [null]), "filterId")
      // A filter from a block past the head is fine (EDR), and reports once blocks get there.
      const future = await call("eth_newFilter", [{ fromBlock: hexOf(8n) }])
      expect(await changes(future)).to.deep.equal([])
      await send(A0, probe, encode("set", [1, 1]))
      expect(await changes(future)).to.deep.equal([])
      await send(A0, probe, encode("set", [1, 2]))
      expect(blocksOf((await changes(future)) as Log[])).to.deep.equal([8])
    })
  })
})
