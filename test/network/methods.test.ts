/**
 * Every JSON-RPC method the node serves: a correct call with its result
 * checked, and for each method that takes params a malformed call that must
 * be -32602 and name the param. Results and messages were checked against
 * Hardhat's EDR network (see the notes on each).
 */
import { expect } from "chai"
import { TypedDataEncoder, keccak256, toUtf8Bytes, verifyMessage, verifyTypedData } from "ethers"

import { BEACON_ROOTS_ADDRESS, BEACON_ROOTS_CODE, commonFor } from "../../src/engine/index.js"
import { HARDHAT_DEFAULT_ACCOUNTS, localAccounts, signTransaction, type LocalAccount } from "../../src/network/accounts.js"
import { PevmProvider } from "../../src/network/provider.js"
import { CLIENT_VERSION, supportedMethods } from "../../src/network/rpc.js"
import {
  A0,
  A1,
  A2,
  COINBASE,
  HASH_NOT_FOUND,
  INITIAL_BALANCE,
  caller,
  deployProbe,
  encode,
  expectInvalidParam,
  hexOf,
  rejects,
  type Call,
} from "./probe.js"

const ZERO_WORD = `0x${"00".repeat(32)}`
const STRANGER = "0x00000000000000000000000000000000000000aa"
/** EDR names an unknown account checksummed. */
const STRANGER_CHECKSUMMED = "0x00000000000000000000000000000000000000AA"

/** Runtime code that stores PREVRANDAO in slot 0: PREVRANDAO PUSH1 0 SSTORE STOP. */
const STORE_PREVRANDAO = "0x4460005500"

interface Block {
  number: string | null
  hash: string
  parentHash: string
  timestamp: string
  gasLimit: string
  gasUsed: string
  miner: string
  mixHash: string | null
  nonce: string | null
  baseFeePerGas: string
  transactions: (string | Record<string, unknown>)[]
}

function rawTransfer(nonce: bigint, value: bigint, gasLimit = 21000n): string {
  const [account] = localAccounts(HARDHAT_DEFAULT_ACCOUNTS)
  const common = commonFor({ chainId: 31337n, hardfork: "osaka" }, "osaka")
  const raw = signTransaction(
    common,
    { type: 2, chainId: 31337n, nonce, to: A1, value, gasLimit, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 10n ** 9n },
    account as LocalAccount,
  )
  return `0x${Buffer.from(raw).toString("hex")}`
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

describe("network: every JSON-RPC method", function () {
  let provider: PevmProvider
  const lines: string[] = []
  const call: Call = caller(() => provider)
  beforeEach(() => {
    lines.length = 0
    provider = new PevmProvider({ workers: 2, printLine: (line) => lines.push(line) })
  })
  afterEach(() => provider.close())

  const send = (tx: Record<string, unknown>) => call("eth_sendTransaction", [{ from: A0, ...tx }]) as Promise<string>
  const latest = () => call("eth_getBlockByNumber", ["latest", false]) as Promise<Block>
  const blockNumber = async () => Number(await call("eth_blockNumber"))

  describe("identity and accounts", function () {
    it("web3_clientVersion starts with HardhatNetwork (network-helpers checks it)", async function () {
      expect(await call("web3_clientVersion")).to.equal(CLIENT_VERSION)
      expect(CLIENT_VERSION).to.match(/^HardhatNetwork\/3\./)
    })

    it("web3_sha3 is keccak256 of the bytes", async function () {
      expect(await call("web3_sha3", ["0x68656c6c6f"])).to.equal(keccak256(toUtf8Bytes("hello")))
      expect(await call("web3_sha3", ["0x"])).to.equal("0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
      await expectInvalidParam(call, call("web3_sha3", ["hello"]), "data")
    })

    it("net_version is the network id in decimal, eth_chainId the chain id in hex", async function () {
      expect(await call("net_version")).to.equal("31337")
      expect(await call("eth_chainId")).to.equal("0x7a69")
      const custom = new PevmProvider({ chainId: 1337n, workers: 1 })
      try {
        expect(await custom.request({ method: "net_version" })).to.equal("1337")
        expect(await custom.request({ method: "eth_chainId" })).to.equal("0x539")
      } finally {
        await custom.close()
      }
    })

    it("net_listening, net_peerCount, eth_mining, eth_hashrate, eth_syncing answer like a local node", async function () {
      expect(await call("net_listening")).to.equal(true)
      expect(await call("net_peerCount")).to.equal("0x0")
      expect(await call("eth_mining")).to.equal(false)
      expect(await call("eth_hashrate")).to.equal("0x0")
      expect(await call("eth_syncing")).to.equal(false)
    })

    it("eth_accounts and eth_requestAccounts list the 20 Hardhat accounts", async function () {
      const accounts = (await call("eth_accounts")) as string[]
      expect(accounts).to.have.length(20)
      expect(accounts.slice(0, 3)).to.deep.equal([A0, A1, A2])
      expect(accounts[19]).to.equal("0x8626f6940e2eb28930efb4cef49b2d1f2c9c1199")
      expect(await call("eth_requestAccounts")).to.deep.equal(accounts)
    })

    it("eth_coinbase follows hardhat_setCoinbase, and the next block pays it", async function () {
      expect(await call("eth_coinbase")).to.equal(COINBASE)
      expect(await call("hardhat_setCoinbase", [STRANGER])).to.equal(true)
      expect(await call("eth_coinbase")).to.equal(STRANGER)
      await send({ to: A1, value: "0x1", maxPriorityFeePerGas: "0x7" })
      const block = await latest()
      expect(block.miner).to.equal(STRANGER)
      expect(await call("eth_getBalance", [STRANGER, "latest"])).to.equal(hexOf(21000n * 7n))
      await expectInvalidParam(call, call("hardhat_setCoinbase", ["0x12"]), "address")
    })

    it("hardhat_metadata names the instance and the head", async function () {
      await send({ to: A1, value: "0x1" })
      const head = await latest()
      const metadata = (await call("hardhat_metadata")) as Record<string, unknown>
      expect(metadata).to.deep.include({ clientVersion: CLIENT_VERSION, chainId: 31337, latestBlockNumber: 1, latestBlockHash: head.hash })
      expect(metadata.instanceId).to.match(/^0x[0-9a-f]{64}$/)
      expect((await rejects(call("hardhat_metadata", [1]))).code).to.equal(-32602)
    })
  })

  describe("fees", function () {
    it("eth_gasPrice is the next base fee plus 1 gwei; eth_maxPriorityFeePerGas is 1 gwei; eth_blobBaseFee is 1", async function () {
      // Genesis has a base fee of 1 gwei and no gas used, so the next one is 7/8 gwei.
      expect(await call("eth_gasPrice")).to.equal(hexOf(875_000_000n + 1_000_000_000n))
      expect(await call("eth_maxPriorityFeePerGas")).to.equal("0x3b9aca00")
      expect(await call("eth_blobBaseFee")).to.equal("0x1")
    })

    it("hardhat_setNextBlockBaseFeePerGas sets the next block's base fee, once", async function () {
      expect(await call("hardhat_setNextBlockBaseFeePerGas", ["0x12345"])).to.equal(true)
      expect(await call("eth_gasPrice")).to.equal(hexOf(0x12345n + 1_000_000_000n))
      await call("evm_mine")
      expect((await latest()).baseFeePerGas).to.equal("0x12345")
      await call("evm_mine")
      // An empty block after it: the base fee falls by 1/8 (rounded down), 0xfedd as on EDR.
      expect((await latest()).baseFeePerGas).to.equal(hexOf(0x12345n - 0x12345n / 8n))
      await expectInvalidParam(call, call("hardhat_setNextBlockBaseFeePerGas", ["cheap"]), "baseFeePerGas")
    })

    it("eth_feeHistory: base fees (one more than the blocks), gas used ratios, reward percentiles", async function () {
      await send({ to: A1, value: "0x1", maxPriorityFeePerGas: "0x3b9aca00" })
      await send({ to: A1, value: "0x1", maxPriorityFeePerGas: "0x77359400" })
      const history = (await call("eth_feeHistory", ["0x2", "latest", [10, 50, 90]])) as Record<string, unknown>
      expect(history).to.deep.equal({
        oldestBlock: "0x1",
        baseFeePerGas: ["0x342770c0", "0x2da3adbb", "0x27f03dbb"],
        gasUsedRatio: [21000 / 60_000_000, 21000 / 60_000_000],
        reward: [
          ["0x3b9aca00", "0x3b9aca00", "0x3b9aca00"],
          ["0x77359400", "0x77359400", "0x77359400"],
        ],
      })
      // No percentiles asked for (or an empty list): no rewards, as on Hardhat.
      expect(await call("eth_feeHistory", ["0x1", "0x1", []])).to.deep.equal({ oldestBlock: "0x1", baseFeePerGas: ["0x342770c0", "0x2da3adbb"], gasUsedRatio: [0.00035] })
      // More blocks than there are: from genesis.
      expect(((await call("eth_feeHistory", ["0x9", "latest"])) as { oldestBlock: string }).oldestBlock).to.equal("0x0")
      await expectInvalidParam(call, call("eth_feeHistory", ["two", "latest", []]), "blockCount")
      await expectInvalidParam(call, call("eth_feeHistory", ["0x1", "newest", []]), "newestBlock")
      await expectInvalidParam(call, call("eth_feeHistory", ["0x1", "latest", "x"]), "rewardPercentiles")
      await expectInvalidParam(call, call("eth_feeHistory", ["0x1", "latest", [50, "a"]]), "rewardPercentiles[1]")
      // EDR's messages for percentiles out of range or order, and for the block count.
      expect((await rejects(call("eth_feeHistory", ["0x1", "latest", [101]]))).message).to.equal(
        "The reward percentile number 1 is invalid. It must be a float between 0 and 100, but is 101 instead.",
      )
      expect((await rejects(call("eth_feeHistory", ["0x1", "latest", [50, 10]]))).message).to.equal(
        "The reward percentiles should be in non-decreasing order, but the percentile number 1 is greater than the next one",
      )
      expect((await rejects(call("eth_feeHistory", ["0x0", "latest", []]))).message).to.equal("blockCount should be at least 1")
      expect((await rejects(call("eth_feeHistory", ["0x401", "latest", []]))).message).to.equal("blockCount should be at most 1024")
    })
  })

  describe("state", function () {
    it("eth_getBalance, eth_getTransactionCount, eth_getCode, eth_getStorageAt read the state", async function () {
      expect(await call("eth_getBalance", [A0, "latest"])).to.equal(hexOf(INITIAL_BALANCE))
      expect(await call("eth_getBalance", [STRANGER])).to.equal("0x0")
      const probe = await deployProbe(call)
      await send({ to: probe, data: encode("set", [5, 77]) })
      expect(await call("eth_getTransactionCount", [A0, "latest"])).to.equal("0x2")
      expect(await call("eth_getTransactionCount", [probe, "latest"])).to.equal("0x1") // EIP-161: contracts start at nonce 1
      const code = (await call("eth_getCode", [probe, "latest"])) as string
      expect(code.length).to.be.greaterThan(1000)
      expect(await call("eth_getCode", [A1, "latest"])).to.equal("0x")
      // value is slot 0; store[5] is keccak(5 . 1).
      expect(await call("eth_getStorageAt", [probe, "0x0", "latest"])).to.equal(`0x${(77).toString(16).padStart(64, "0")}`)
      const slot = keccak256(`0x${"5".padStart(64, "0")}${"1".padStart(64, "0")}`)
      expect(await call("eth_getStorageAt", [probe, slot, "latest"])).to.equal(`0x${(77).toString(16).padStart(64, "0")}`)
      expect(await call("eth_getStorageAt", [probe, "0x2"])).to.equal(ZERO_WORD)
      await expectInvalidParam(call, call("eth_getBalance", ["0x12", "latest"]), "address")
      await expectInvalidParam(call, call("eth_getBalance", [A0, "yesterday"]), "block")
      await expectInvalidParam(call, call("eth_getTransactionCount", [A0, {}]), "block")
      await expectInvalidParam(call, call("eth_getCode", ["nobody", "latest"]), "address")
      await expectInvalidParam(call, call("eth_getStorageAt", [probe, `0x${"1".repeat(65)}`, "latest"]), "position")
      await expectInvalidParam(call, call("eth_getStorageAt", [probe, "0x0", "0x01"]), "block")
    })

    it("the beacon roots contract (EIP-4788) is there from genesis, as on EDR, and serves each block's parent beacon root by timestamp", async function () {
      expect(await call("eth_getCode", [BEACON_ROOTS_ADDRESS, "0x0"])).to.equal(BEACON_ROOTS_CODE)
      await call("evm_mine")
      const block = (await latest()) as Block & { parentBeaconBlockRoot: string }
      const byTimestamp = `0x${BigInt(block.timestamp).toString(16).padStart(64, "0")}`
      expect(await call("eth_call", [{ to: BEACON_ROOTS_ADDRESS, data: byTimestamp }])).to.equal(block.parentBeaconBlockRoot)
      // A timestamp no block had: the contract reverts.
      const missing = `0x${(BigInt(block.timestamp) + 1n).toString(16).padStart(64, "0")}`
      expect((await rejects(call("eth_call", [{ to: BEACON_ROOTS_ADDRESS, data: missing }]))).message).to.include("reverted")
    })

    it("a block number past the head is EDR's -32000 error", async function () {
      const error = await rejects(call("eth_getBalance", [A0, "0x9"]))
      expect(error.code).to.equal(-32000)
      expect(error.message).to.equal("Received invalid block tag 9. Latest block number is 0")
      expect((await rejects(call("eth_call", [{ to: A1 }, "0x9"]))).message).to.equal("Received invalid block tag 9. Latest block number is 0")
    })

    it("hardhat_setBalance, hardhat_setCode, hardhat_setNonce, hardhat_setStorageAt change the head", async function () {
      expect(await call("hardhat_setBalance", [STRANGER, "0xde0b6b3a7640000"])).to.equal(true)
      expect(await call("eth_getBalance", [STRANGER, "latest"])).to.equal("0xde0b6b3a7640000")
      expect(await call("hardhat_setCode", [STRANGER, "0x6001600055"])).to.equal(true)
      expect(await call("eth_getCode", [STRANGER, "latest"])).to.equal("0x6001600055")
      expect(await call("hardhat_setNonce", [STRANGER, "0x9"])).to.equal(true)
      expect(await call("eth_getTransactionCount", [STRANGER, "latest"])).to.equal("0x9")
      expect(await call("hardhat_setStorageAt", [STRANGER, "0x3", `0x${"00".repeat(31)}2a`])).to.equal(true)
      expect(await call("eth_getStorageAt", [STRANGER, "0x3", "latest"])).to.equal(`0x${"00".repeat(31)}2a`)
      // None of them mines a block.
      expect(await blockNumber()).to.equal(0)
      expect((await rejects(call("hardhat_setNonce", [STRANGER, "0x1"]))).message).to.equal("New nonce (1) must not be smaller than the existing nonce (9)")
      await expectInvalidParam(call, call("hardhat_setBalance", [A0, "-1"]), "balance")
      await expectInvalidParam(call, call("hardhat_setBalance", ["0x12", "0x1"]), "address")
      await expectInvalidParam(call, call("hardhat_setCode", [A1, "zz"]), "code")
      await expectInvalidParam(call, call("hardhat_setNonce", [A1, "0x01"]), "nonce")
      await expectInvalidParam(call, call("hardhat_setStorageAt", [A1, "0x0", "0x01"]), "value")
      await expectInvalidParam(call, call("hardhat_setStorageAt", [A1, "zz", ZERO_WORD]), "position")
    })
  })

  describe("block tags and history", function () {
    it("latest, safe, finalized, earliest, pending, numbers, hashes and EIP-1898 objects all name blocks", async function () {
      await send({ to: A1, value: "0x1" })
      await send({ to: A1, value: "0x2" })
      const head = await latest()
      const genesis = (await call("eth_getBlockByNumber", ["0x0", false])) as Block
      expect(head.number).to.equal("0x2")
      expect(await call("eth_getBlockByNumber", ["safe", false])).to.deep.equal(head)
      expect(await call("eth_getBlockByNumber", ["finalized", false])).to.deep.equal(head)
      expect(await call("eth_getBlockByNumber", ["earliest", false])).to.deep.equal(genesis)
      expect(await call("eth_getBlockByHash", [head.hash, false])).to.deep.equal(head)
      expect(await call("eth_getBlockByNumber", ["0x9", false])).to.equal(null)
      expect(await call("eth_getBlockByHash", [HASH_NOT_FOUND, false])).to.equal(null)
      // pending: the block mining now would make; as on Hardhat, without number, nonce or mixHash.
      const pending = (await call("eth_getBlockByNumber", ["pending", false])) as Block
      expect(pending).to.include({ number: null, nonce: null, mixHash: null, parentHash: head.hash, gasUsed: "0x0" })
      expect(pending.transactions).to.deep.equal([])
      expect(Number(pending.timestamp)).to.be.greaterThan(Number(head.timestamp))
      // State reads by tag, number and EIP-1898 object.
      const start = INITIAL_BALANCE
      for (const [tag, expected] of [
        ["earliest", start],
        ["0x1", start + 1n],
        ["latest", start + 3n],
        ["safe", start + 3n],
        ["finalized", start + 3n],
        ["pending", start + 3n],
        [{ blockNumber: "0x1" }, start + 1n],
        [{ blockHash: genesis.hash }, start],
        [{ blockHash: head.hash, requireCanonical: true }, start + 3n],
      ] as const) {
        expect(BigInt((await call("eth_getBalance", [A1, tag])) as string), JSON.stringify(tag)).to.equal(expected)
      }
      expect((await rejects(call("eth_getBalance", [A1, { blockHash: HASH_NOT_FOUND }]))).message).to.match(/^Header not found/)
      await expectInvalidParam(call, call("eth_getBalance", [A1, { blockHash: "0x12" }]), "block.blockHash")
      await expectInvalidParam(call, call("eth_getBlockByNumber", ["0x1", "yes"]), "fullTransactions")
      await expectInvalidParam(call, call("eth_getBlockByNumber", ["next", false]), "block")
      await expectInvalidParam(call, call("eth_getBlockByHash", ["0x1234", false]), "blockHash")
    })

    it("with automine off, pending reads see the mempool: balances, code, calls, the pending block", async function () {
      await call("evm_setAutomine", [false])
      const hash = await send({ to: A1, value: "0x5", gas: "0x5208" })
      const deploy = await send({ data: "0x600a600c600039600a6000f3602a60005260206000f3", gas: "0x20000" }) // returns 42
      expect(await call("eth_getBalance", [A1, "latest"])).to.equal(hexOf(INITIAL_BALANCE))
      expect(await call("eth_getBalance", [A1, "pending"])).to.equal(hexOf(INITIAL_BALANCE + 5n))
      const created = "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512" // A0's contract at nonce 1
      expect(await call("eth_getCode", [created, "latest"])).to.equal("0x")
      expect(await call("eth_getCode", [created, "pending"])).to.equal("0x602a60005260206000f3")
      expect(await call("eth_call", [{ to: created }, "pending"])).to.equal(`0x${"2a".padStart(64, "0")}`)
      expect(await call("eth_call", [{ to: created }, "latest"])).to.equal("0x")
      expect(await call("eth_getTransactionCount", [A0, "pending"])).to.equal("0x2")
      const pending = (await call("eth_getBlockByNumber", ["pending", true])) as Block
      expect(pending.transactions.map((t) => (t as { hash: string }).hash)).to.deep.equal([hash, deploy])
      expect(pending.transactions[0]).to.include({ blockHash: null, blockNumber: null, transactionIndex: null, from: A0, to: A1, value: "0x5" })
      expect(await call("eth_getBlockTransactionCountByNumber", ["pending"])).to.equal("0x2")
      expect(await call("eth_getTransactionByBlockNumberAndIndex", ["pending", "0x1"])).to.deep.equal(pending.transactions[1])
      // Nothing of this was mined or kept.
      expect(await blockNumber()).to.equal(0)
      await call("evm_mine")
      const mined = await latest()
      expect(mined.transactions).to.deep.equal([hash, deploy])
      expect(await call("eth_getCode", [created, "latest"])).to.equal("0x602a60005260206000f3")
    })

    it("history stays right across evm_revert: blocks mined again replace the reverted ones", async function () {
      const snapshot = await call("evm_snapshot")
      await send({ to: A2, value: "0x64" })
      await send({ to: A2, value: "0x64" })
      const reverted = await latest()
      expect(await call("evm_revert", [snapshot])).to.equal(true)
      expect(await call("eth_getBlockByHash", [reverted.hash, false])).to.equal(null)
      await send({ to: A2, value: "0x7" })
      expect(await call("eth_getBalance", [A2, "0x0"])).to.equal(hexOf(INITIAL_BALANCE))
      expect(await call("eth_getBalance", [A2, "0x1"])).to.equal(hexOf(INITIAL_BALANCE + 7n))
      expect(await call("eth_getBalance", [A2, "0x2"]).catch((e: Error) => e.message)).to.equal("Received invalid block tag 2. Latest block number is 1")
      expect(await call("eth_getTransactionCount", [A0, "0x1"])).to.equal("0x1")
    })

    it("historical state is readable at every block, including direct changes made while a block was the head", async function () {
      const balances: bigint[] = [BigInt((await call("eth_getBalance", [A2, "latest"])) as string)]
      for (let i = 1; i <= 4; i++) {
        await send({ to: A2, value: hexOf(BigInt(i)) })
        balances.push(BigInt((await call("eth_getBalance", [A2, "latest"])) as string))
      }
      await call("hardhat_setBalance", [A2, "0x7"])
      for (let n = 0; n < 4; n++) expect(BigInt((await call("eth_getBalance", [A2, hexOf(BigInt(n))])) as string), `block ${n}`).to.equal(balances[n])
      // The head includes the direct change, as on Hardhat.
      expect(await call("eth_getBalance", [A2, "0x4"])).to.equal("0x7")
      expect(await call("eth_getTransactionCount", [A0, "0x2"])).to.equal("0x2")
    })
  })

  describe("blocks and transactions", function () {
    it("eth_getBlockTransactionCountByNumber and ByHash count a block's transactions", async function () {
      await call("evm_setAutomine", [false])
      await send({ to: A1, value: "0x1" })
      await send({ to: A1, value: "0x2" })
      await call("evm_mine")
      const head = await latest()
      expect(await call("eth_getBlockTransactionCountByNumber", ["0x1"])).to.equal("0x2")
      expect(await call("eth_getBlockTransactionCountByNumber", ["latest"])).to.equal("0x2")
      expect(await call("eth_getBlockTransactionCountByNumber", ["earliest"])).to.equal("0x0")
      expect(await call("eth_getBlockTransactionCountByNumber", ["0x9"])).to.equal(null)
      expect(await call("eth_getBlockTransactionCountByHash", [head.hash])).to.equal("0x2")
      expect(await call("eth_getBlockTransactionCountByHash", [HASH_NOT_FOUND])).to.equal(null)
      await expectInvalidParam(call, call("eth_getBlockTransactionCountByNumber", ["one"]), "block")
      await expectInvalidParam(call, call("eth_getBlockTransactionCountByHash", [42]), "blockHash")
    })

    it("eth_getTransactionByBlockNumberAndIndex and ByBlockHashAndIndex find a transaction by position", async function () {
      await call("evm_setAutomine", [false])
      const first = await send({ to: A1, value: "0x1" })
      const second = await send({ to: A2, value: "0x2" })
      await call("evm_mine")
      const head = await latest()
      const tx = (await call("eth_getTransactionByBlockNumberAndIndex", ["0x1", "0x1"])) as Record<string, unknown>
      expect(tx).to.include({ hash: second, from: A0, to: A2, value: "0x2", blockNumber: "0x1", blockHash: head.hash, transactionIndex: "0x1", nonce: "0x1" })
      expect(await call("eth_getTransactionByBlockHashAndIndex", [head.hash, "0x1"])).to.deep.equal(tx)
      expect(((await call("eth_getTransactionByBlockNumberAndIndex", ["latest", "0x0"])) as { hash: string }).hash).to.equal(first)
      expect(await call("eth_getTransactionByBlockNumberAndIndex", ["0x1", "0x2"])).to.equal(null)
      expect(await call("eth_getTransactionByBlockNumberAndIndex", ["0x7", "0x0"])).to.equal(null)
      expect(await call("eth_getTransactionByBlockHashAndIndex", [HASH_NOT_FOUND, "0x0"])).to.equal(null)
      await expectInvalidParam(call, call("eth_getTransactionByBlockNumberAndIndex", ["0x1", "first"]), "index")
      await expectInvalidParam(call, call("eth_getTransactionByBlockNumberAndIndex", ["one", "0x0"]), "block")
      await expectInvalidParam(call, call("eth_getTransactionByBlockHashAndIndex", [head.hash, -1]), "index")
      await expectInvalidParam(call, call("eth_getTransactionByBlockHashAndIndex", ["0x12", "0x0"]), "blockHash")
    })

    it("transactions and receipts have EDR's fields, in EDR's order (legacy: no chainId; typed: no yParity)", async function () {
      const [account] = localAccounts(HARDHAT_DEFAULT_ACCOUNTS)
      const common = commonFor({ chainId: 31337n, hardfork: "osaka" }, "osaka")
      const legacy = signTransaction(common, { type: 0, chainId: 31337n, nonce: 0n, to: A1, value: 5n, gasLimit: 21000n, gasPrice: 10n ** 10n }, account as LocalAccount)
      const legacyHash = await call("eth_sendRawTransaction", [`0x${Buffer.from(legacy).toString("hex")}`])
      const typedHash = await send({ to: A1, value: "0x1" })
      const legacyTx = (await call("eth_getTransactionByHash", [legacyHash])) as Record<string, unknown>
      expect(Object.keys(legacyTx)).to.deep.equal(["hash", "nonce", "blockHash", "blockNumber", "transactionIndex", "from", "to", "value", "gasPrice", "gas", "input", "type", "v", "r", "s"])
      expect(legacyTx).to.include({ type: "0x0", gasPrice: "0x2540be400", value: "0x5" })
      expect([31337 * 2 + 35, 31337 * 2 + 36]).to.include(Number(legacyTx.v)) // EIP-155: the chain id is in v
      const typedTx = (await call("eth_getTransactionByHash", [typedHash])) as Record<string, unknown>
      expect(Object.keys(typedTx)).to.deep.equal([
        "hash", "nonce", "blockHash", "blockNumber", "transactionIndex", "from", "to", "value", "gasPrice", "gas", "input",
        "chainId", "type", "accessList", "maxFeePerGas", "maxPriorityFeePerGas", "v", "r", "s",
      ])
      const receipt = (await call("eth_getTransactionReceipt", [typedHash])) as Record<string, unknown>
      expect(Object.keys(receipt)).to.deep.equal([
        "blockHash", "blockNumber", "transactionHash", "transactionIndex", "type", "from", "to", "cumulativeGasUsed", "gasUsed",
        "contractAddress", "logs", "logsBloom", "status", "effectiveGasPrice",
      ])
    })

    it("eth_getBlockByNumber with full transactions, eth_getTransactionByHash, eth_getTransactionReceipt, eth_getBlockReceipts", async function () {
      const probe = await deployProbe(call)
      const hash = await send({ to: probe, data: encode("set", [1, 2]) })
      const block = (await call("eth_getBlockByNumber", ["0x2", true])) as Block
      const tx = block.transactions[0] as Record<string, unknown>
      expect(tx).to.include({ hash, from: A0, to: probe, input: encode("set", [1, 2]), type: "0x2", chainId: "0x7a69" })
      expect(await call("eth_getTransactionByHash", [hash])).to.deep.equal(tx)
      expect(await call("eth_getTransactionByHash", [HASH_NOT_FOUND])).to.equal(null)
      const receipt = (await call("eth_getTransactionReceipt", [hash])) as Record<string, unknown> & { logs: unknown[] }
      expect(receipt).to.include({ transactionHash: hash, blockHash: block.hash, blockNumber: "0x2", status: "0x1", from: A0, to: probe, contractAddress: null })
      expect(receipt.logs).to.have.length(1)
      expect(await call("eth_getTransactionReceipt", [HASH_NOT_FOUND])).to.equal(null)
      expect(await call("eth_getBlockReceipts", ["0x2"])).to.deep.equal([receipt])
      expect(await call("eth_getBlockReceipts", [block.hash])).to.deep.equal([receipt])
      expect(await call("eth_getBlockReceipts", ["0x9"])).to.equal(null)
      await expectInvalidParam(call, call("eth_getTransactionByHash", [42]), "transactionHash")
      await expectInvalidParam(call, call("eth_getTransactionReceipt", ["0x12"]), "transactionHash")
      await expectInvalidParam(call, call("eth_getBlockReceipts", [true]), "block")
    })
  })

  describe("sending, calling, estimating", function () {
    it("eth_sendTransaction mines at once with automine; malformed fields are named", async function () {
      const hash = await send({ to: A1, value: "0x3e8" })
      expect(hash).to.match(/^0x[0-9a-f]{64}$/)
      expect(await blockNumber()).to.equal(1)
      expect(await call("eth_getBalance", [A1, "latest"])).to.equal(hexOf(INITIAL_BALANCE + 1000n))
      await expectInvalidParam(call, call("eth_sendTransaction", [{ from: A0, to: "0x12" }]), "transaction.to")
      await expectInvalidParam(call, call("eth_sendTransaction", [{ from: A0, to: A1, gas: "12" }]), "transaction.gas")
      await expectInvalidParam(call, call("eth_sendTransaction", [{ from: "me", to: A1 }]), "transaction.from")
      await expectInvalidParam(call, call("eth_sendTransaction", [{ from: A0, to: A1, accessList: "none" }]), "transaction.accessList")
      await expectInvalidParam(call, call("eth_sendTransaction", [{ from: A0, to: A1, accessList: [{ address: A1, storageKeys: ["0x1"] }] }]), "transaction.accessList[0].storageKeys[0]")
      await expectInvalidParam(call, call("eth_sendTransaction", [{ from: A0, to: A1, data: "0x1", input: "0x2" }]), "transaction")
      await expectInvalidParam(call, call("eth_sendTransaction", ["not an object"]), "transaction")
      // EDR: a chain id that is not ours is -32602 with its wording.
      const wrongChain = await expectInvalidParam(call, call("eth_sendTransaction", [{ from: A0, to: A1, chainId: "0x1" }]), "chainId")
      expect(wrongChain.message).to.equal("Invalid chainId 1 provided, expected 31337 instead.")
      expect(await blockNumber()).to.equal(1)
    })

    it("eth_sendRawTransaction takes a signed transaction", async function () {
      const raw = rawTransfer(0n, 5n)
      const hash = await call("eth_sendRawTransaction", [raw])
      expect(hash).to.equal(keccak256(raw))
      expect(((await call("eth_getTransactionReceipt", [hash])) as { status: string }).status).to.equal("0x1")
      expect((await rejects(call("eth_sendRawTransaction", [raw]))).message).to.match(/^(Known transaction|Nonce too low)/)
      expect((await rejects(call("eth_sendRawTransaction", [rawTransfer(1n, 5n, 20000n)]))).message).to.equal("Transaction requires at least 21000 gas but got 20000")
      expect(await blockNumber()).to.equal(1)
      await expectInvalidParam(call, call("eth_sendRawTransaction", ["0xzz"]), "rawTransaction")
      await expectInvalidParam(call, call("eth_sendRawTransaction", ["0x1234"]), "transaction")
    })

    it("eth_call returns the output without mining, at any block", async function () {
      const probe = await deployProbe(call)
      await send({ to: probe, data: encode("set", [1, 11]) })
      await send({ to: probe, data: encode("set", [1, 12]) })
      const value = encode("value")
      expect(BigInt((await call("eth_call", [{ to: probe, data: value }, "latest"])) as string)).to.equal(12n)
      expect(BigInt((await call("eth_call", [{ to: probe, data: value }, "0x2"])) as string)).to.equal(11n)
      expect(BigInt((await call("eth_call", [{ to: probe, input: value }])) as string)).to.equal(12n)
      expect(BigInt((await call("eth_call", [{ to: probe, data: encode("logView", [21]) }])) as string)).to.equal(42n)
      expect(await call("eth_call", [{ to: probe, data: value }, "0x1"])).to.equal(ZERO_WORD)
      expect(await blockNumber()).to.equal(3)
      await expectInvalidParam(call, call("eth_call", [{ to: probe, data: "0x123" }, "latest"]), "transaction.input")
      await expectInvalidParam(call, call("eth_call", [{ to: "0xnothex" }, "latest"]), "transaction.to")
      await expectInvalidParam(call, call("eth_call", [{ to: probe }, "0x01"]), "block")
      await expectInvalidParam(call, call("eth_call", ["0x1"]), "transaction")
    })

    it("eth_call runs in the context of its block (EDR): NUMBER, TIMESTAMP, PREVRANDAO, GASLIMIT; base fee 0, no balance check", async function () {
      // Returns NUMBER, TIMESTAMP, BASEFEE, COINBASE, GASLIMIT, PREVRANDAO, CHAINID, GASPRICE as 8 words.
      await call("hardhat_setCode", [STRANGER, "0x43600052426020524860405241606052456080524460a0524660c0523a60e0526101006000f3"])
      await send({ to: A1, value: "0x1" })
      await send({ to: A1, value: "0x1" })
      const words = async (tx: Record<string, unknown>, tag: unknown) =>
        (((await call("eth_call", [{ to: STRANGER, ...tx }, tag])) as string).slice(2).match(/.{64}/g) ?? []).map((w) => BigInt(`0x${w}`))
      const head = await latest()
      const [number, timestamp, baseFee, coinbase, gasLimit, randao, chainId, gasPrice] = await words({}, "latest")
      expect([number, timestamp, baseFee, coinbase, gasLimit, randao, chainId, gasPrice]).to.deep.equal([
        2n, BigInt(head.timestamp), 0n, BigInt(COINBASE), BigInt(head.gasLimit), BigInt(head.mixHash as string), 31337n, 0n,
      ])
      const first = (await call("eth_getBlockByNumber", ["0x1", false])) as Block
      expect((await words({}, "0x1")).slice(0, 2)).to.deep.equal([1n, BigInt(first.timestamp)])
      // pending: the block after the head.
      expect((await words({}, "pending"))[0]).to.equal(3n)
      // Any fees (the base fee is 0: GASPRICE is the tip) and any sender, funded or not.
      expect((await words({ from: A0, maxFeePerGas: "0x77359400", maxPriorityFeePerGas: "0x1" }, "latest"))[7]).to.equal(1n)
      expect((await words({ from: A0, gasPrice: "0x1" }, "latest"))[7]).to.equal(1n)
      expect((await words({ from: "0x0000000000000000000000000000000000000bad", gasPrice: "0x77359400", value: "0x1" }, "latest"))[7]).to.equal(2_000_000_000n)
      expect(await call("eth_estimateGas", [{ from: "0x0000000000000000000000000000000000000bad", to: A1, value: "0x1", gasPrice: "0x1" }])).to.equal("0x5209")
    })

    it("BLOCKHASH sees the 256 blocks before the call's block: after evm_revert, past 256 blocks, at a past block", async function () {
      // Returns BLOCKHASH(calldata word) and NUMBER: PUSH0 CALLDATALOAD BLOCKHASH PUSH0 MSTORE NUMBER PUSH1 32 MSTORE PUSH1 64 PUSH0 RETURN.
      await call("hardhat_setCode", [STRANGER, "0x5f35405f524360205260405ff3"])
      const blockHash = async (n: number, tag: unknown = "latest"): Promise<[string, number]> => {
        const out = (await call("eth_call", [{ to: STRANGER, data: `0x${n.toString(16).padStart(64, "0")}` }, tag])) as string
        return [`0x${out.slice(2, 66)}`, Number(`0x${out.slice(66, 130)}`)]
      }
      const hashOf = async (n: number) => ((await call("eth_getBlockByNumber", [hexOf(BigInt(n)), false])) as Block).hash
      const expectSeen = async (numbers: number[], tag: unknown = "latest") => {
        for (const n of numbers) expect((await blockHash(n, tag))[0], `BLOCKHASH(${n}) at ${String(tag)}`).to.equal(await hashOf(n))
      }
      await call("hardhat_mine", ["0x3"])
      expect(await blockHash(3)).to.deep.equal([ZERO_WORD, 3])
      await expectSeen([0, 1, 2])

      const snapshot = await call("evm_snapshot")
      await call("hardhat_mine", ["0x2"])
      await expectSeen([3, 4])
      const reverted = await hashOf(4)
      expect(await call("evm_revert", [snapshot])).to.equal(true)
      await call("evm_increaseTime", ["0x100"])
      await call("hardhat_mine", ["0x3"])
      expect(await hashOf(4), "block 4 was mined again, at another time").to.not.equal(reverted)
      await expectSeen([0, 1, 2, 3, 4, 5])
      expect(await blockHash(6)).to.deep.equal([ZERO_WORD, 6])

      // At a past block, the blocks before that one.
      expect(await blockHash(2, "0x2")).to.deep.equal([ZERO_WORD, 2])
      await expectSeen([0, 1], "0x2")

      await call("hardhat_mine", [hexOf(300n)])
      expect((await blockHash(0))[1]).to.equal(306)
      await expectSeen([50, 51, 200, 305])
      expect((await blockHash(49))[0], "257 blocks back").to.equal(ZERO_WORD)
    })

    it("BLOCKHASH in a block mined by the parallel engine sees the same window", async function () {
      // Stores BLOCKHASH(calldata word) at slot (calldata word): PUSH0 CALLDATALOAD DUP1 BLOCKHASH SWAP1 SSTORE STOP.
      await call("hardhat_setCode", [STRANGER, "0x5f3580409055" + "00"])
      await call("hardhat_mine", [hexOf(300n)])
      await call("evm_setAutomine", [false])
      const asked = [0n, 44n, 45n, 100n, 299n, 300n, 301n]
      for (const n of asked) await send({ to: STRANGER, data: `0x${n.toString(16).padStart(64, "0")}`, gas: hexOf(60_000n) })
      await call("evm_mine")
      expect(provider.chain.lastStats).to.deep.include({ transactions: asked.length, mode: "parallel" })
      const mined = Number(await call("eth_blockNumber"))
      expect(mined).to.equal(301)
      for (const n of asked) {
        const stored = await call("eth_getStorageAt", [STRANGER, hexOf(n)])
        const seen = n >= BigInt(mined - 256) && n < BigInt(mined)
        const expected = seen ? ((await call("eth_getBlockByNumber", [hexOf(n), false])) as Block).hash : ZERO_WORD
        expect(stored, `BLOCKHASH(${n}) in block ${mined}`).to.equal(expected)
      }
    })

    it("eth_estimateGas finds the gas a transaction needs", async function () {
      // EDR's rule: never less than the intrinsic gas + 1, so a plain transfer is estimated at 21,001.
      expect(await call("eth_estimateGas", [{ from: A0, to: A1, value: "0x1" }])).to.equal("0x5209")
      const probe = await deployProbe(call)
      const gas = BigInt((await call("eth_estimateGas", [{ from: A0, to: probe, data: encode("set", [3, 4]) }])) as string)
      // One less than the estimate is not enough (the failed transaction changes no storage), the estimate is.
      const error = await rejects(send({ to: probe, data: encode("set", [3, 4]), gas: hexOf(gas - 1n) }))
      expect(error.message).to.equal("Transaction ran out of gas")
      const hash = await send({ to: probe, data: encode("set", [3, 4]), gas: hexOf(gas) })
      expect(((await call("eth_getTransactionReceipt", [hash])) as { status: string }).status).to.equal("0x1")
      expect(await call("eth_estimateGas", [{ from: A0, to: A1 }, "0x0"])).to.equal("0x5209")
      await expectInvalidParam(call, call("eth_estimateGas", [{ from: A0, value: "ten" }]), "transaction.value")
      await expectInvalidParam(call, call("eth_estimateGas", [{ from: A0, to: A1 }, "then"]), "block")
    })

    it("eth_estimateGas runs on the pending state by default (EDR), kept up to date as transactions queue, reorder and get dropped", async function () {
      const probe = await deployProbe(call)
      const estimate = async (value: number, block?: string) =>
        BigInt((await call("eth_estimateGas", [{ from: A0, to: probe, data: encode("set", [3, value]) }, ...(block === undefined ? [] : [block])])) as string)
      const fresh = await estimate(5)
      await call("evm_setAutomine", [false])
      await send({ to: probe, data: encode("set", [3, 4]), gas: "0x20000" })
      // Slot 3 is set in the pending state: changing it again costs less than setting it from zero.
      const overQueued = await estimate(5)
      expect(overQueued).to.be.lessThan(fresh)
      expect(await estimate(5, "pending")).to.equal(overQueued)
      expect(await estimate(5, "latest")).to.equal(fresh)
      // More transactions queue after it; one with a higher tip goes first (the pool reorders).
      await send({ to: A1, value: "0x5", gas: "0x5208" })
      expect(await call("eth_getBalance", [A1, "pending"])).to.equal(hexOf(INITIAL_BALANCE + 5n))
      const tipped = await call("eth_sendTransaction", [{ from: A1, to: A0, value: "0x7", gas: "0x5208", maxPriorityFeePerGas: hexOf(5n * 10n ** 9n) }])
      expect(await call("eth_getBalance", [A1, "pending"])).to.not.equal(hexOf(INITIAL_BALANCE + 5n))
      const pendingA1 = BigInt((await call("eth_getBalance", [A1, "pending"])) as string)
      expect(await estimate(5)).to.equal(overQueued)
      // Dropping a transaction takes its effects out of the pending state.
      expect(await call("hardhat_dropTransaction", [tipped])).to.equal(true)
      expect(await call("eth_getBalance", [A1, "pending"])).to.equal(hexOf(INITIAL_BALANCE + 5n))
      await call("hardhat_dropTransaction", [await send({ to: probe, data: encode("set", [4, 1]), gas: "0x20000" })])
      await call("evm_mine")
      // What was pending is now the head, and the estimate on it is the one made over the queue.
      expect(await estimate(5, "latest")).to.equal(overQueued)
      expect(await call("eth_getBalance", [A1, "latest"])).to.equal(hexOf(INITIAL_BALANCE + 5n))
      expect(pendingA1).to.be.lessThan(INITIAL_BALANCE + 5n - 7n)
    })
  })

  describe("signing", function () {
    it("eth_sign and personal_sign sign EIP-191 messages with the account's key (EDR's signature)", async function () {
      const signature = (await call("eth_sign", [A0, "0x68656c6c6f"])) as string
      expect(signature).to.equal(
        "0xf16ea9a3478698f695fd1401bfe27e9e4a7e8e3da94aa72b021125e31fa899cc573c48ea3fe1d4ab61a9db10c19032026e3ed2dbccba5a178235ac27f94504311c",
      )
      expect(verifyMessage("hello", signature).toLowerCase()).to.equal(A0)
      expect(await call("personal_sign", ["0x68656c6c6f", A0])).to.equal(signature)
      expect(verifyMessage(new Uint8Array(), (await call("eth_sign", [A1, "0x"])) as string).toLowerCase()).to.equal(A1)
      expect((await rejects(call("eth_sign", [STRANGER, "0x00"]))).message).to.equal(`Unknown account ${STRANGER_CHECKSUMMED}`)
      await expectInvalidParam(call, call("eth_sign", ["0x12", "0x00"]), "address")
      await expectInvalidParam(call, call("eth_sign", [A0, "hello"]), "message")
      await expectInvalidParam(call, call("personal_sign", ["hello", A0]), "message")
      await expectInvalidParam(call, call("personal_sign", ["0x00", "x"]), "address")
    })

    it("eth_signTypedData_v4 signs EIP-712 data (object or JSON string)", async function () {
      const domain = { name: "Probe", version: "1", chainId: 31337, verifyingContract: A2 }
      const types = { Mail: [{ name: "to", type: "address" }, { name: "amount", type: "uint256" }] }
      const message = { to: A1, amount: "42" }
      const typed = { domain, types: { EIP712Domain: TypedDataEncoder.getPayload(domain, types, message).types.EIP712Domain, ...types }, primaryType: "Mail", message }
      const signature = (await call("eth_signTypedData_v4", [A0, typed])) as string
      expect(verifyTypedData(domain, types, message, signature).toLowerCase()).to.equal(A0)
      expect(await call("eth_signTypedData_v4", [A0, JSON.stringify(typed)])).to.equal(signature)
      await expectInvalidParam(call, call("eth_signTypedData_v4", [A0, "{bad"]), "typedData")
      const badAddress = await expectInvalidParam(call, call("eth_signTypedData_v4", ["0x12", typed]), "address")
      expect(badAddress.message).to.not.include("typedData")
    })
  })

  describe("mining and time", function () {
    it("evm_mine mines a block (answering \"0\" like Hardhat), optionally at a timestamp", async function () {
      expect(await call("evm_mine")).to.equal("0")
      expect(await blockNumber()).to.equal(1)
      const head = await latest()
      const at = Number(head.timestamp) + 500
      expect(await call("evm_mine", [hexOf(BigInt(at))])).to.equal("0")
      expect(Number((await latest()).timestamp)).to.equal(at)
      expect(await call("evm_mine", [at + 10])).to.equal("0")
      expect(Number((await latest()).timestamp)).to.equal(at + 10)
      await expectInvalidParam(call, call("evm_mine", ["soon"]), "timestamp")
    })

    it("hardhat_mine mines many blocks, seconds apart (an interval of 0 still moves time on)", async function () {
      const start = Number((await latest()).timestamp)
      expect(await call("hardhat_mine", ["0x3", "0x64"])).to.equal(true)
      expect(await blockNumber()).to.equal(3)
      const third = await latest()
      const second = (await call("eth_getBlockByNumber", ["0x2", false])) as Block
      expect(Number(third.timestamp) - Number(second.timestamp)).to.equal(100)
      expect(Number(second.timestamp)).to.be.at.least(start)
      expect(await call("hardhat_mine", [])).to.equal(true)
      expect(await blockNumber()).to.equal(4)
      expect(await call("hardhat_mine", ["0x2", "0x0"])).to.equal(true)
      const blocks = [(await call("eth_getBlockByNumber", ["0x5", false])) as Block, await latest()]
      expect(Number(blocks[1]?.timestamp) - Number(blocks[0]?.timestamp)).to.equal(1)
      await expectInvalidParam(call, call("hardhat_mine", ["many"]), "blocks")
      await expectInvalidParam(call, call("hardhat_mine", ["0x2", "often"]), "interval")
    })

    it("evm_setAutomine and hardhat_getAutomine", async function () {
      expect(await call("hardhat_getAutomine")).to.equal(true)
      expect(await call("evm_setAutomine", [false])).to.equal(true)
      expect(await call("hardhat_getAutomine")).to.equal(false)
      const hash = await send({ to: A1, value: "0x1" })
      expect(await blockNumber()).to.equal(0)
      // As on EDR, turning automine back on mines nothing; the next transaction's block takes the pending ones too.
      expect(await call("evm_setAutomine", [true])).to.equal(true)
      expect(await blockNumber()).to.equal(0)
      const next = await send({ to: A1, value: "0x2" })
      expect(await blockNumber()).to.equal(1)
      expect((await latest()).transactions).to.deep.equal([hash, next])
      await expectInvalidParam(call, call("evm_setAutomine", ["true"]), "enabled")
    })

    it("evm_increaseTime and evm_setNextBlockTimestamp move the clock", async function () {
      const before = Number((await latest()).timestamp)
      expect(await call("evm_increaseTime", [3600])).to.equal("3600")
      expect(await call("evm_increaseTime", ["0xe10"])).to.equal("7200")
      await call("evm_mine")
      expect(Number((await latest()).timestamp)).to.be.at.least(before + 7200)
      const target = Number((await latest()).timestamp) + 1000
      expect(await call("evm_setNextBlockTimestamp", [target])).to.equal(null)
      await send({ to: A1, value: "0x1" })
      expect(Number((await latest()).timestamp)).to.equal(target)
      expect(await call("evm_setNextBlockTimestamp", [hexOf(BigInt(target + 5))])).to.equal(null)
      await call("evm_mine")
      expect(Number((await latest()).timestamp)).to.equal(target + 5)
      expect((await rejects(call("evm_setNextBlockTimestamp", [target]))).message).to.equal(
        `Timestamp ${target} is lower than or equal to previous block's timestamp ${target + 5}`,
      )
      await expectInvalidParam(call, call("evm_increaseTime", [-5]), "seconds")
      await expectInvalidParam(call, call("evm_increaseTime", ["soon"]), "seconds")
      await expectInvalidParam(call, call("evm_setNextBlockTimestamp", [1.5]), "timestamp")
    })

    it("evm_setIntervalMining mines on a timer until it is set to 0", async function () {
      await call("evm_setAutomine", [false])
      const hash = await send({ to: A1, value: "0x1" })
      expect(await call("evm_setIntervalMining", [20])).to.equal(true)
      while ((await call("eth_getTransactionReceipt", [hash])) === null) await sleep(10)
      expect(await call("evm_setIntervalMining", [[10, 30]])).to.equal(true)
      const from = await blockNumber()
      while ((await blockNumber()) < from + 2) await sleep(10)
      expect(await call("evm_setIntervalMining", [0])).to.equal(true)
      const stopped = await blockNumber()
      await sleep(100)
      expect(await blockNumber()).to.equal(stopped)
      await expectInvalidParam(call, call("evm_setIntervalMining", ["0x10"]), "interval")
      await expectInvalidParam(call, call("evm_setIntervalMining", [-1]), "interval")
      await expectInvalidParam(call, call("evm_setIntervalMining", [[1, 2, 3]]), "interval")
      // EDR's checks on ranges.
      expect((await expectInvalidParam(call, call("evm_setIntervalMining", [[100, 50]]), "interval")).message).to.match(/greater than maximum/)
      expect((await expectInvalidParam(call, call("evm_setIntervalMining", [[0, 50]]), "interval")).message).to.match(/greater than zero/)
    })

    it("evm_setBlockGasLimit sets the gas limit of the next blocks and what a transaction may use", async function () {
      expect(await call("evm_setBlockGasLimit", ["0x100000"])).to.equal(true)
      await call("evm_mine")
      expect((await latest()).gasLimit).to.equal("0x100000")
      expect((await rejects(send({ to: A1, gas: "0x100001" }))).message).to.equal("Transaction gas limit is 1048577 and exceeds block gas limit of 1048576")
      await send({ to: A1, gas: "0x100000" })
      expect((await rejects(call("evm_setBlockGasLimit", ["0x0"]))).message).to.equal("Block gas limit must be greater than 0")
      await expectInvalidParam(call, call("evm_setBlockGasLimit", ["lots"]), "gasLimit")
    })

    it("hardhat_setPrevRandao sets the next block's mixHash and the PREVRANDAO it runs with", async function () {
      const randao = `0x${"ab".repeat(32)}`
      await call("hardhat_setCode", [STRANGER, STORE_PREVRANDAO])
      expect(await call("hardhat_setPrevRandao", [randao])).to.equal(true)
      await send({ to: STRANGER, gas: "0x10000" })
      expect((await latest()).mixHash).to.equal(randao)
      expect(await call("eth_getStorageAt", [STRANGER, "0x0", "latest"])).to.equal(randao)
      await call("evm_mine")
      expect((await latest()).mixHash).to.not.equal(randao)
      await expectInvalidParam(call, call("hardhat_setPrevRandao", ["0x12"]), "prevRandao")
    })
  })

  describe("snapshots, impersonation, the mempool, reset", function () {
    it("evm_snapshot returns hex ids; evm_revert restores and uses them up", async function () {
      expect(await call("evm_snapshot")).to.equal("0x1")
      await send({ to: A1, value: "0x1" })
      expect(await call("evm_snapshot")).to.equal("0x2")
      await send({ to: A1, value: "0x1" })
      await call("hardhat_setCoinbase", [STRANGER])
      expect(await call("evm_revert", ["0x2"])).to.equal(true)
      expect(await blockNumber()).to.equal(1)
      expect(await call("eth_coinbase")).to.equal(COINBASE)
      expect(await call("evm_revert", ["0x2"])).to.equal(false)
      expect(await call("evm_revert", ["0x1"])).to.equal(true)
      expect(await blockNumber()).to.equal(0)
      expect(await call("evm_revert", ["0x99"])).to.equal(false)
      await expectInvalidParam(call, call("evm_revert", ["one"]), "snapshotId")
      expect((await rejects(call("evm_snapshot", [1]))).code).to.equal(-32602)
    })

    it("hardhat_impersonateAccount and hardhat_stopImpersonatingAccount", async function () {
      await call("hardhat_setBalance", [STRANGER, "0xde0b6b3a7640000"])
      expect(await call("hardhat_impersonateAccount", [STRANGER])).to.equal(true)
      const hash = await send({ from: STRANGER, to: A1, value: "0x1" })
      expect(((await call("eth_getTransactionReceipt", [hash])) as { from: string }).from).to.equal(STRANGER)
      // EDR's fake signature: r = s = the sender, and v = 28 on a typed transaction.
      const fake = `0x${STRANGER.slice(-2)}`
      expect(await call("eth_getTransactionByHash", [hash])).to.deep.include({ type: "0x2", v: "0x1c", r: fake, s: fake })
      expect(await call("hardhat_stopImpersonatingAccount", [STRANGER])).to.equal(true)
      expect(await call("hardhat_stopImpersonatingAccount", [STRANGER])).to.equal(false)
      expect((await rejects(send({ from: STRANGER, to: A1 }))).message).to.equal(`Unknown account ${STRANGER_CHECKSUMMED}`)
      await expectInvalidParam(call, call("hardhat_impersonateAccount", ["0x12"]), "address")
      await expectInvalidParam(call, call("hardhat_stopImpersonatingAccount", [42]), "address")
    })

    // Hardhat's network lets any address with code send and call (impersonating a contract is a common test
    // pattern); ethereumjs' runTx enforces EIP-3607 unless the chain allows senders with code.
    it("an impersonated contract can send transactions, and any contract address can be the `from` of eth_call (no EIP-3607)", async function () {
      const probe = await deployProbe(call)
      await call("hardhat_impersonateAccount", [probe])
      await call("hardhat_setBalance", [probe, "0xde0b6b3a7640000"])
      const hash = await send({ from: probe, to: A1, value: "0x1" })
      expect(((await call("eth_getTransactionReceipt", [hash])) as { status: string; from: string })).to.include({ status: "0x1", from: probe })
      expect(await call("eth_call", [{ from: probe, to: A1, value: "0x1" }])).to.equal("0x")
      expect(await call("eth_estimateGas", [{ from: probe, to: A1, value: "0x1" }])).to.equal("0x5209")
      // Its code is untouched by sending.
      expect(await call("eth_getCode", [probe, "latest"])).to.not.equal("0x")
    })

    it("hardhat_dropTransaction removes a pending transaction; a mined one cannot be dropped (EDR's error)", async function () {
      const mined = await send({ to: A1, value: "0x1" })
      await call("evm_setAutomine", [false])
      const pending = await send({ to: A1, value: "0x1" })
      expect(((await call("eth_getTransactionByHash", [pending])) as { blockHash: null }).blockHash).to.equal(null)
      expect(await call("hardhat_dropTransaction", [pending])).to.equal(true)
      expect(await call("eth_getTransactionByHash", [pending])).to.equal(null)
      expect(await call("hardhat_dropTransaction", [pending])).to.equal(false)
      expect(await call("eth_getTransactionCount", [A0, "pending"])).to.equal("0x1")
      const error = await rejects(call("hardhat_dropTransaction", [mined]))
      expect(error.code).to.equal(-32602)
      expect(error.message).to.equal(`Transaction ${mined} cannot be dropped because it's already mined`)
      await call("evm_mine")
      expect((await latest()).transactions).to.deep.equal([])
      await expectInvalidParam(call, call("hardhat_dropTransaction", ["0x12"]), "transactionHash")
    })

    it("hardhat_reset starts a fresh chain from the same configuration", async function () {
      await send({ to: A1, value: "0x1" })
      await call("hardhat_setBalance", [A2, "0x1"])
      await call("evm_setAutomine", [false])
      const snapshot = await call("evm_snapshot")
      const filter = await call("eth_newBlockFilter")
      expect(await call("hardhat_reset")).to.equal(true)
      expect(await blockNumber()).to.equal(0)
      expect(await call("eth_getBalance", [A2, "latest"])).to.equal(hexOf(INITIAL_BALANCE))
      expect(await call("hardhat_getAutomine")).to.equal(true)
      expect(await call("evm_revert", [snapshot])).to.equal(false)
      expect(await call("eth_getFilterChanges", [filter])).to.equal(null)
      expect(await call("hardhat_reset", [{}])).to.equal(true)
      await send({ to: A1, value: "0x1" })
      expect(await blockNumber()).to.equal(1)
      const forking = await rejects(call("hardhat_reset", [{ forking: { jsonRpcUrl: "http://localhost:8545" } }]))
      expect(forking.code).to.equal(-32000)
      expect(forking.message).to.match(/does not support forking/)
      await expectInvalidParam(call, call("hardhat_reset", ["x"]), "options")
      expect((await rejects(call("hardhat_reset", [{}, 1]))).code).to.equal(-32602)
      expect(await blockNumber()).to.equal(1)
    })

    it("hardhat_setLoggingEnabled is accepted; hardhat_setMinGasPrice is refused after London as on Hardhat", async function () {
      expect(await call("hardhat_setLoggingEnabled", [true])).to.equal(true)
      expect(await call("hardhat_setLoggingEnabled", [false])).to.equal(true)
      await expectInvalidParam(call, call("hardhat_setLoggingEnabled", ["x"]), "loggingEnabled")
      expect((await rejects(call("hardhat_setMinGasPrice", ["0x1"]))).code).to.equal(-32000)
      await expectInvalidParam(call, call("hardhat_setMinGasPrice", ["x"]), "minGasPrice")
    })
  })

  describe("debug_traceTransaction", function () {
    interface StructLog {
      pc: number
      op: string
      gas: number
      gasCost: number
      depth: number
      stack?: string[]
      memory?: string[]
      storage?: Record<string, string>
      refund: number
    }
    interface Trace {
      failed: boolean
      gas: number
      returnValue: string
      structLogs: StructLog[]
    }

    it("returns EDR-shaped struct logs: stack, storage on SLOAD/SSTORE, call costs with the gas passed on", async function () {
      const probe = await deployProbe(call)
      const hash = await send({ to: probe, data: encode("set", [1, 11]) })
      const receipt = (await call("eth_getTransactionReceipt", [hash])) as { gasUsed: string }
      const trace = (await call("debug_traceTransaction", [hash])) as Trace
      expect(Object.keys(trace)).to.deep.equal(["failed", "gas", "returnValue", "structLogs"])
      expect(trace).to.include({ failed: false, gas: Number(receipt.gasUsed), returnValue: "0x" })
      const first = trace.structLogs[0] as StructLog
      // Checked against EDR for this transaction: PUSH1 costs 3, stacks are hex quantities, no memory by default.
      expect(first).to.deep.equal({ pc: 0, op: "PUSH1", gas: first.gas, gasCost: 3, depth: 1, stack: [], refund: 0 })
      expect(trace.structLogs[1]?.stack).to.deep.equal(["0x80"])
      const stores = trace.structLogs.filter((log) => log.op === "SSTORE")
      expect(stores).to.have.length(2)
      const slot = keccak256(`0x${"1".padStart(64, "0")}${"1".padStart(64, "0")}`)
      const eleven = `0x${"b".padStart(64, "0")}`
      expect(stores[0]?.storage).to.deep.equal({ [slot]: eleven })
      expect(stores[1]?.storage).to.deep.equal({ [slot]: eleven, [ZERO_WORD]: eleven })
      expect(stores[0]?.gasCost).to.equal(22100)
      expect(trace.structLogs.at(-1)?.op).to.equal("STOP")
      expect(trace.structLogs.every((log) => log.memory === undefined)).to.equal(true)
    })

    it("a nested call: SLOAD shows the loaded value, CALL's cost includes the gas it passes on, depth 2 inside", async function () {
      const probe = await deployProbe(call)
      const hash = await send({ to: probe, data: encode("logInReverted"), gas: "0x30000" })
      const trace = (await call("debug_traceTransaction", [hash])) as Trace
      expect(trace.failed).to.equal(false)
      const callStep = trace.structLogs.find((log) => log.op === "CALL") as StructLog
      // all but 1/64 of what is left after the call's own cost (100, warm) is passed on.
      const passed = callStep.gas - 100 - Math.floor((callStep.gas - 100) / 64)
      expect(callStep.gasCost).to.equal(100 + passed)
      const load = trace.structLogs.find((log) => log.op === "SLOAD" && log.depth === 2) as StructLog
      expect(load.storage).to.deep.equal({ [ZERO_WORD]: ZERO_WORD })
      expect(trace.structLogs.some((log) => log.op === "REVERT" && log.depth === 2)).to.equal(true)
      // debug_traceTransaction replays without printing console.log again.
      const printed = lines.length
      await call("debug_traceTransaction", [hash])
      expect(lines.length).to.equal(printed)
    })

    it("a transaction after others in its block is traced on the state they left", async function () {
      const probe = await deployProbe(call)
      await call("evm_setAutomine", [false])
      await send({ to: probe, data: encode("set", [1, 11]), gas: "0x30000" })
      const second = await call("eth_sendTransaction", [{ from: A1, to: probe, data: encode("logAndSet", [12]), gas: "0x30000" }])
      const third = await call("eth_sendTransaction", [{ from: A2, to: probe, data: encode("logInReverted"), gas: "0x40000" }])
      await call("evm_mine")
      expect((await latest()).transactions).to.have.length(3)
      const trace = (await call("debug_traceTransaction", [third])) as Trace
      // logThenRevert's `value += 1` loads what the second transaction stored.
      const load = trace.structLogs.find((log) => log.op === "SLOAD" && log.depth === 2) as StructLog
      expect(load.storage).to.deep.equal({ [ZERO_WORD]: `0x${(12).toString(16).padStart(64, "0")}` })
      for (const hash of [second, third]) {
        const receipt = (await call("eth_getTransactionReceipt", [hash])) as { gasUsed: string }
        expect(((await call("debug_traceTransaction", [hash])) as Trace).gas).to.equal(Number(receipt.gasUsed))
      }
    })

    it("a failed transaction: failed, the revert data as returnValue; options turn parts on and off", async function () {
      const probe = await deployProbe(call)
      const error = await rejects(send({ to: probe, data: encode("failDivide", [0]), gas: "0x30000" }))
      const hash = (error as unknown as { transactionHash: string }).transactionHash
      const trace = (await call("debug_traceTransaction", [hash])) as Trace
      expect(trace.failed).to.equal(true)
      expect(trace.returnValue).to.equal(`0x4e487b71${"12".padStart(64, "0")}`)
      expect(trace.structLogs.at(-1)?.op).to.equal("REVERT")
      const lean = (await call("debug_traceTransaction", [hash, { disableStack: true, disableStorage: true }])) as Trace
      expect(lean.structLogs).to.have.length(trace.structLogs.length)
      expect(lean.structLogs.every((log) => log.stack === undefined && log.storage === undefined)).to.equal(true)
      const withMemory = (await call("debug_traceTransaction", [hash, { enableMemory: true }])) as Trace
      expect(withMemory.structLogs.at(-1)?.memory?.every((word) => /^0x[0-9a-f]{64}$/.test(word))).to.equal(true)
      expect((await rejects(call("debug_traceTransaction", [hash, { tracer: "callTracer" }]))).message).to.match(/not supported/)
      expect((await rejects(call("debug_traceTransaction", [HASH_NOT_FOUND]))).message).to.equal(`Unable to find a block containing transaction ${HASH_NOT_FOUND}`)
      await expectInvalidParam(call, call("debug_traceTransaction", ["0x12"]), "transactionHash")
      await expectInvalidParam(call, call("debug_traceTransaction", [hash, "x"]), "options")
      await expectInvalidParam(call, call("debug_traceTransaction", [hash, { disableStack: "yes" }]), "options.disableStack")
    })
  })

  describe("coverage of the method list", function () {
    /** Every method this file (with filters.test.ts for the filter methods) calls with a correct request. */
    const COVERED = [
      "web3_clientVersion", "web3_sha3", "net_version", "net_listening", "net_peerCount", "eth_chainId", "eth_accounts",
      "eth_requestAccounts", "eth_coinbase", "eth_syncing", "eth_mining", "eth_hashrate", "eth_blockNumber", "eth_gasPrice",
      "eth_maxPriorityFeePerGas", "eth_blobBaseFee", "eth_getBalance", "eth_getCode", "eth_getStorageAt", "eth_getTransactionCount",
      "eth_getBlockByNumber", "eth_getBlockByHash", "eth_getBlockTransactionCountByNumber", "eth_getBlockTransactionCountByHash",
      "eth_getTransactionByBlockNumberAndIndex", "eth_getTransactionByBlockHashAndIndex", "eth_getTransactionByHash",
      "eth_getTransactionReceipt", "eth_getBlockReceipts", "eth_sendTransaction", "eth_sendRawTransaction", "eth_call",
      "eth_estimateGas", "eth_feeHistory", "eth_getLogs", "eth_newFilter", "eth_newBlockFilter", "eth_newPendingTransactionFilter",
      "eth_getFilterChanges", "eth_getFilterLogs", "eth_uninstallFilter", "eth_sign", "personal_sign", "eth_signTypedData_v4",
      "evm_snapshot", "evm_revert", "evm_mine", "evm_setAutomine", "evm_increaseTime", "evm_setNextBlockTimestamp",
      "evm_setIntervalMining", "evm_setBlockGasLimit", "hardhat_metadata", "hardhat_getAutomine", "hardhat_mine",
      "hardhat_setBalance", "hardhat_setCode", "hardhat_setNonce", "hardhat_setStorageAt", "hardhat_impersonateAccount",
      "hardhat_stopImpersonatingAccount", "hardhat_setCoinbase", "hardhat_setPrevRandao", "hardhat_setNextBlockBaseFeePerGas",
      "hardhat_dropTransaction", "hardhat_reset", "hardhat_setLoggingEnabled", "hardhat_setMinGasPrice", "debug_traceTransaction",
    ]
    const NO_PARAMS = [
      "web3_clientVersion", "net_version", "net_listening", "net_peerCount", "eth_chainId", "eth_accounts", "eth_requestAccounts",
      "eth_coinbase", "eth_syncing", "eth_mining", "eth_hashrate", "eth_blockNumber", "eth_gasPrice", "eth_maxPriorityFeePerGas",
      "eth_blobBaseFee", "eth_newBlockFilter", "eth_newPendingTransactionFilter", "evm_snapshot", "hardhat_metadata", "hardhat_getAutomine",
    ]

    it("every method the node serves is covered here, and every covered method is served", function () {
      expect([...COVERED].sort()).to.deep.equal(supportedMethods())
    })

    it("the methods of the issue's and DESIGN.md's lists are all served", function () {
      const wanted = [
        "web3_clientVersion", "eth_accounts", "eth_chainId", "eth_blockNumber", "eth_getBlockByNumber", "eth_getBlockByHash",
        "eth_sendTransaction", "eth_sendRawTransaction", "eth_estimateGas", "eth_call", "eth_getTransactionByHash",
        "eth_getTransactionReceipt", "eth_getTransactionCount", "eth_getBalance", "eth_getCode", "eth_getStorageAt", "eth_getLogs",
        "eth_feeHistory", "eth_maxPriorityFeePerGas", "eth_gasPrice", "hardhat_metadata", "evm_snapshot", "evm_revert", "evm_mine",
        "evm_setAutomine", "evm_increaseTime", "evm_setNextBlockTimestamp", "hardhat_mine", "hardhat_setBalance", "hardhat_setCode",
        "hardhat_setNonce", "hardhat_setStorageAt", "hardhat_impersonateAccount", "hardhat_stopImpersonatingAccount",
        "eth_signTypedData_v4", "personal_sign", "eth_newFilter", "eth_newBlockFilter", "eth_getFilterChanges", "eth_getFilterLogs",
        "eth_uninstallFilter", "eth_getBlockTransactionCountByNumber", "eth_getTransactionByBlockNumberAndIndex", "net_version",
        "eth_coinbase", "eth_syncing", "eth_sign", "evm_setIntervalMining", "evm_setBlockGasLimit", "hardhat_getAutomine",
        "hardhat_setCoinbase", "hardhat_setPrevRandao", "hardhat_setNextBlockBaseFeePerGas", "hardhat_dropTransaction",
        "hardhat_reset", "debug_traceTransaction",
      ]
      expect(supportedMethods()).to.include.members(wanted)
    })

    for (const method of NO_PARAMS) {
      it(`${method} with a param is -32602 and names the method`, async function () {
        const error = await rejects(call(method, [1]))
        expect(error.code).to.equal(-32602)
        expect(error.message).to.equal(`Invalid params for ${method}: expected 0 parameters, got 1`)
        expect(await call("eth_chainId")).to.equal("0x7a69")
      })
    }
  })
})
