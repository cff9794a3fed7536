import { expect } from "chai"

import { compileFixtures } from "../fixtures/compile.js"
import { calldata } from "../fixtures/workloads.js"
import { PevmProvider } from "../../src/network/provider.js"
import { JsonRpcError } from "../../src/network/errors.js"
import { HARDHAT_DEFAULT_ACCOUNTS, localAccounts, signTransaction, type LocalAccount } from "../../src/network/accounts.js"
import { commonFor } from "../../src/engine/index.js"

const A0 = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
const A1 = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
/** Token's constructor(address[] holders, uint256 amount) with holders [A0] and amount 1000. */
const TOKEN_ARGS = [64n, 1000n, 1n, BigInt(A0)].map((v) => v.toString(16).padStart(64, "0")).join("")

async function rejects(promise: Promise<unknown>): Promise<JsonRpcError> {
  try {
    await promise
  } catch (error) {
    expect(error).to.be.instanceOf(JsonRpcError)
    return error as JsonRpcError
  }
  throw new Error("expected the request to fail")
}

describe("network: JSON-RPC methods", function () {
  let provider: PevmProvider
  const lines: string[] = []
  beforeEach(() => {
    lines.length = 0
    provider = new PevmProvider({ workers: 2, printLine: (line) => lines.push(line) })
  })
  afterEach(() => provider.close())
  const call = (method: string, params: unknown[] = []) => provider.request({ method, params })

  async function deploy(name: string, args = ""): Promise<string> {
    const hash = (await call("eth_sendTransaction", [{ from: A0, data: `${compileFixtures()[name]?.bytecode}${args}` }])) as string
    const receipt = (await call("eth_getTransactionReceipt", [hash])) as { contractAddress: string; status: string }
    expect(receipt.status).to.equal("0x1")
    return receipt.contractAddress
  }

  describe("chain and accounts", function () {
    it("answers like Hardhat's network: client version, chain id, accounts, coinbase", async function () {
      expect(await call("web3_clientVersion")).to.match(/^HardhatNetwork\//)
      expect(await call("eth_chainId")).to.equal("0x7a69")
      expect(await call("net_version")).to.equal("31337")
      const accounts = (await call("eth_accounts")) as string[]
      expect(accounts).to.have.length(20)
      expect(accounts[0]).to.equal(A0)
      expect(await call("eth_coinbase")).to.equal("0xc014ba5ec014ba5ec014ba5ec014ba5ec014ba5e")
      expect(await call("eth_syncing")).to.equal(false)
      expect(await call("eth_blockNumber")).to.equal("0x0")
      expect(await call("eth_getBalance", [A0, "latest"])).to.equal("0x21e19e0c9bab2400000")
      expect(await call("hardhat_getAutomine")).to.equal(true)
    })

    it("hardhat_metadata names the instance and the latest block", async function () {
      const metadata = (await call("hardhat_metadata")) as Record<string, unknown>
      expect(metadata.chainId).to.equal(31337)
      expect(metadata.latestBlockNumber).to.equal(0)
      expect(metadata.instanceId).to.match(/^0x[0-9a-f]{64}$/)
      const genesis = (await call("eth_getBlockByNumber", ["0x0", false])) as Record<string, string>
      expect(metadata.latestBlockHash).to.equal(genesis.hash)
    })

    it("honours the chain id, accounts and initial date of its configuration", async function () {
      const custom = new PevmProvider({
        chainId: 1337n,
        accounts: [{ privateKey: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d", balance: 5n }],
        initialDate: new Date("2020-01-01T00:00:00Z"),
      })
      try {
        expect(await custom.request({ method: "eth_chainId" })).to.equal("0x539")
        expect(await custom.request({ method: "eth_accounts" })).to.deep.equal([A1])
        expect(await custom.request({ method: "eth_getBalance", params: [A1, "latest"] })).to.equal("0x5")
        const genesis = (await custom.request({ method: "eth_getBlockByNumber", params: ["latest", false] })) as { timestamp: string }
        expect(Number(genesis.timestamp)).to.equal(Date.UTC(2020, 0, 1) / 1000)
      } finally {
        await custom.close()
      }
    })
  })

  describe("bad requests get errors, and the node stays usable", function () {
    it("an unknown method is -32601", async function () {
      const error = await rejects(call("eth_doesNotExist"))
      expect(error.code).to.equal(-32601)
      expect(error.message).to.include("eth_doesNotExist")
      expect(await call("eth_chainId")).to.equal("0x7a69")
    })

    for (const [method, params, named] of [
      ["eth_getBalance", ["0x12", "latest"], "address"],
      ["eth_getBalance", [A0, "yesterday"], "block"],
      ["eth_getStorageAt", [A0, "zz", "latest"], "position"],
      ["eth_getBlockByNumber", ["0x01", false], "block"],
      ["eth_getBlockByHash", ["0x1234", false], "blockHash"],
      ["eth_getTransactionByHash", [42], "transactionHash"],
      ["eth_sendTransaction", ["not an object"], "transaction"],
      ["eth_sendTransaction", [{ from: A0, value: "12" }], "transaction.value"],
      ["eth_call", [{ to: "0xnothex" }, "latest"], "transaction.to"],
      ["eth_getLogs", [{ topics: ["0x01"] }], "filter.topics[0]"],
      ["hardhat_setBalance", [A0, "-1"], "balance"],
      ["evm_increaseTime", ["soon"], "seconds"],
      ["eth_sendRawTransaction", ["0xzz"], "rawTransaction"],
    ] as const) {
      it(`${method} with a malformed "${named}" is -32602 and names it`, async function () {
        const error = await rejects(call(method, [...params]))
        expect(error.code).to.equal(-32602)
        expect(error.message).to.include(named)
        expect(await call("eth_blockNumber")).to.equal("0x0")
      })
    }

    it("the wrong number of params is -32602", async function () {
      expect((await rejects(call("eth_getBalance", []))).code).to.equal(-32602)
      expect((await rejects(call("eth_getTransactionByHash", ["0x" + "00".repeat(32), 1, 2]))).code).to.equal(-32602)
    })
  })

  describe("transactions and receipts", function () {
    it("automines each transaction into its own block with a full receipt", async function () {
      const hash = (await call("eth_sendTransaction", [{ from: A0, to: A1, value: "0x3e8" }])) as string
      expect(await call("eth_blockNumber")).to.equal("0x1")
      const receipt = (await call("eth_getTransactionReceipt", [hash])) as Record<string, unknown>
      expect(receipt).to.include({ status: "0x1", from: A0, to: A1, transactionIndex: "0x0", gasUsed: "0x5208", blockNumber: "0x1" })
      const tx = (await call("eth_getTransactionByHash", [hash])) as Record<string, unknown>
      expect(tx).to.include({ from: A0, to: A1, value: "0x3e8", blockNumber: "0x1", type: "0x2" })
      const block = (await call("eth_getBlockByNumber", ["0x1", true])) as { transactions: Record<string, unknown>[]; hash: string }
      expect(block.transactions[0]?.hash).to.equal(hash)
      expect(await call("eth_getTransactionByBlockNumberAndIndex", ["0x1", "0x0"])).to.deep.equal(block.transactions[0])
      expect(await call("eth_getBlockTransactionCountByNumber", ["0x1"])).to.equal("0x1")
      expect(await call("eth_getBlockByHash", [block.hash, true])).to.deep.equal(block)
    })

    it("a reverting transaction is mined and then reported like Hardhat, with its revert data", async function () {
      const token = await deploy("Token", TOKEN_ARGS)
      const data = `0x${Buffer.from(calldata("transfer(address,uint256)", A0, 1n)).toString("hex")}`
      const error = await rejects(call("eth_sendTransaction", [{ from: A1, to: token, data, gas: "0x30000" }]))
      expect(error.code).to.equal(3)
      // InsufficientBalance(0, 1): no ABI was given to the node, so it is unrecognized, as in Hardhat without artifacts.
      expect(error.message).to.match(/^VM Exception while processing transaction: reverted with an unrecognized custom error \(return data: 0x/)
      expect(error.data).to.match(/^0x/)
      expect((error as unknown as { transactionHash: string }).transactionHash).to.match(/^0x[0-9a-f]{64}$/)
      expect(await call("eth_blockNumber")).to.equal("0x2")
    })

    it("rejects with Hardhat's messages: nonce too low or high, unknown account, unaffordable, over the gas cap", async function () {
      await call("eth_sendTransaction", [{ from: A0, to: A1, value: "0x1" }])
      expect((await rejects(call("eth_sendTransaction", [{ from: A0, to: A1, nonce: "0x0" }]))).message).to.match(/^Nonce too low\. Expected nonce to be 1 but got 0/)
      expect((await rejects(call("eth_sendTransaction", [{ from: A0, to: A1, nonce: "0x9" }]))).message).to.match(/^Nonce too high\. Expected nonce to be 1 but got 9/)
      expect((await rejects(call("eth_sendTransaction", [{ from: "0x0000000000000000000000000000000000000123", to: A1 }]))).message).to.equal(
        "Unknown account 0x0000000000000000000000000000000000000123",
      )
      expect((await rejects(call("eth_sendTransaction", [{ from: A1, to: A0, value: `0x${(10n ** 30n).toString(16)}` }]))).message).to.match(
        /^Sender doesn't have enough funds to send tx/,
      )
      expect((await rejects(call("eth_sendTransaction", [{ from: A0, to: A1, gas: "0x3b9aca00" }]))).message).to.equal(
        "Transaction gas limit is 1000000000 and exceeds transaction gas cap of 16777216",
      )
    })

    it("eth_sendRawTransaction takes a transaction signed elsewhere", async function () {
      const [account] = localAccounts(HARDHAT_DEFAULT_ACCOUNTS)
      const common = commonFor({ chainId: 31337n, hardfork: "osaka" }, "osaka")
      const raw = signTransaction(
        common,
        { type: 2, chainId: 31337n, nonce: 0n, to: A1, value: 5n, gasLimit: 21000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 10n ** 9n },
        account as LocalAccount,
      )
      const hash = await call("eth_sendRawTransaction", [`0x${Buffer.from(raw).toString("hex")}`])
      const receipt = (await call("eth_getTransactionReceipt", [hash])) as { from: string; status: string }
      expect(receipt).to.include({ from: A0, status: "0x1" })
      expect(await call("eth_getBalance", [A1, "latest"])).to.equal("0x21e19e0c9bab2400005")
      const error = await rejects(call("eth_sendRawTransaction", [`0x${Buffer.from(raw).toString("hex")}`]))
      expect(error.message).to.match(/Known transaction|Nonce too low/)
    })

    it("impersonated accounts can send without a key", async function () {
      const stranger = "0x00000000000000000000000000000000000000aa"
      await call("hardhat_setBalance", [stranger, "0xde0b6b3a7640000"])
      expect((await rejects(call("eth_sendTransaction", [{ from: stranger, to: A1, value: "0x1" }]))).message).to.include("Unknown account")
      await call("hardhat_impersonateAccount", [stranger])
      const hash = (await call("eth_sendTransaction", [{ from: stranger, to: A1, value: "0x1" }])) as string
      expect(((await call("eth_getTransactionReceipt", [hash])) as { from: string }).from).to.equal(stranger)
      expect(await call("hardhat_stopImpersonatingAccount", [stranger])).to.equal(true)
    })
  })

  describe("mining", function () {
    it("with automine off, transactions wait and one evm_mine puts them all in one parallel block", async function () {
      await call("evm_setAutomine", [false])
      const hashes: string[] = []
      for (let i = 0; i < 6; i++) hashes.push((await call("eth_sendTransaction", [{ from: A0, to: A1, value: "0x1" }])) as string)
      for (let i = 0; i < 6; i++) hashes.push((await call("eth_sendTransaction", [{ from: A1, to: A0, value: "0x1" }])) as string)
      expect(await call("eth_getTransactionCount", [A0, "pending"])).to.equal("0x6")
      expect(await call("eth_getTransactionCount", [A0, "latest"])).to.equal("0x0")
      expect(await call("eth_getTransactionReceipt", [hashes[0]])).to.equal(null)
      await call("evm_mine")
      const block = (await call("eth_getBlockByNumber", ["latest", false])) as { transactions: string[]; number: string }
      expect(block.number).to.equal("0x1")
      expect(new Set(block.transactions)).to.deep.equal(new Set(hashes))
      expect(provider.chain.lastStats?.mode).to.equal("parallel")
      expect(await call("eth_getTransactionCount", [A0, "latest"])).to.equal("0x6")
    })

    it("hardhat_mine mines empty blocks with the given interval", async function () {
      const before = (await call("eth_getBlockByNumber", ["latest", false])) as { timestamp: string }
      await call("hardhat_mine", ["0xa", "0x3c"])
      const after = (await call("eth_getBlockByNumber", ["latest", false])) as { timestamp: string; number: string }
      expect(after.number).to.equal("0xa")
      expect(Number(after.timestamp) - Number(before.timestamp)).to.be.at.least(9 * 60)
    })

    it("time travel: evm_increaseTime and evm_setNextBlockTimestamp", async function () {
      await call("evm_increaseTime", [3600])
      await call("evm_mine")
      const block = (await call("eth_getBlockByNumber", ["latest", false])) as { timestamp: string }
      expect(Number(block.timestamp)).to.be.at.least(Math.floor(Date.now() / 1000) + 3599)
      await call("evm_setNextBlockTimestamp", [Number(block.timestamp) + 1000])
      await call("evm_mine")
      const next = (await call("eth_getBlockByNumber", ["latest", false])) as { timestamp: string }
      expect(Number(next.timestamp)).to.equal(Number(block.timestamp) + 1000)
      const error = await rejects(call("evm_setNextBlockTimestamp", [Number(block.timestamp)]))
      expect(error.message).to.match(/lower than or equal to previous block's timestamp/)
    })
  })

  describe("state and history", function () {
    it("historical state stays readable for every block (changeEtherBalance reads block N-1)", async function () {
      const start = BigInt((await call("eth_getBalance", [A1, "latest"])) as string)
      await call("eth_sendTransaction", [{ from: A0, to: A1, value: "0x64" }])
      await call("eth_sendTransaction", [{ from: A0, to: A1, value: "0x64" }])
      expect(BigInt((await call("eth_getBalance", [A1, "0x0"])) as string)).to.equal(start)
      expect(BigInt((await call("eth_getBalance", [A1, "0x1"])) as string)).to.equal(start + 100n)
      expect(BigInt((await call("eth_getBalance", [A1, "latest"])) as string)).to.equal(start + 200n)
      expect(await call("eth_getTransactionCount", [A0, "0x1"])).to.equal("0x1")
      expect(await call("eth_getTransactionCount", [A0, "earliest"])).to.equal("0x0")
    })

    it("evm_snapshot and evm_revert restore state, blocks and time", async function () {
      const id = await call("evm_snapshot")
      expect(id).to.equal("0x1")
      await call("eth_sendTransaction", [{ from: A0, to: A1, value: "0x1" }])
      await call("hardhat_setBalance", [A1, "0x1"])
      expect(await call("eth_blockNumber")).to.equal("0x1")
      expect(await call("evm_revert", [id])).to.equal(true)
      expect(await call("eth_blockNumber")).to.equal("0x0")
      expect(await call("eth_getBalance", [A1, "latest"])).to.equal("0x21e19e0c9bab2400000")
      expect(await call("evm_revert", [id])).to.equal(false)
    })

    it("hardhat_setCode, setStorageAt, setNonce", async function () {
      const target = "0x00000000000000000000000000000000000000bb"
      await call("hardhat_setCode", [target, "0x6001600055"])
      expect(await call("eth_getCode", [target, "latest"])).to.equal("0x6001600055")
      await call("hardhat_setStorageAt", [target, "0x0", `0x${"00".repeat(31)}2a`])
      expect(await call("eth_getStorageAt", [target, "0x0", "latest"])).to.equal(`0x${"00".repeat(31)}2a`)
      await call("hardhat_setNonce", [target, "0x5"])
      expect(await call("eth_getTransactionCount", [target, "latest"])).to.equal("0x5")
      expect((await rejects(call("hardhat_setNonce", [target, "0x1"]))).message).to.match(/must not be smaller/)
    })
  })

  describe("calls, estimates, logs and filters", function () {
    it("eth_call and eth_estimateGas run without mining", async function () {
      const token = await deploy("Token", TOKEN_ARGS)
      const balanceOf = `0x${Buffer.from(calldata("balanceOf(address)", A0)).toString("hex")}`
      expect(BigInt((await call("eth_call", [{ to: token, data: balanceOf }, "latest"])) as string)).to.equal(1000n)
      const gas = BigInt((await call("eth_estimateGas", [{ from: A0, to: A1, value: "0x1" }])) as string)
      // As EDR estimates a plain transfer: its intrinsic gas + 1.
      expect(gas).to.equal(21001n)
      expect(await call("eth_blockNumber")).to.equal("0x1")
    })

    it("eth_getLogs filters by address, topics and block range; filters report only what is new", async function () {
      const counter = await deploy("Counter")
      const blockFilter = await call("eth_newBlockFilter")
      const increment = `0x${Buffer.from(calldata("increment()")).toString("hex")}`
      await call("eth_sendTransaction", [{ from: A0, to: counter, data: increment }])
      // As on Hardhat's network, the first changes include the block that was latest when the filter was made.
      const changes = (await call("eth_getFilterChanges", [blockFilter])) as string[]
      expect(changes).to.have.length(2)
      expect(await call("eth_getFilterChanges", [blockFilter])).to.deep.equal([])
      expect(await call("eth_getLogs", [{ fromBlock: "0x0", toBlock: "latest", address: counter }])).to.deep.equal([])
      expect(await call("eth_uninstallFilter", [blockFilter])).to.equal(true)
      expect(await call("eth_getFilterChanges", [blockFilter])).to.equal(null) // Hardhat's answer for an unknown filter
    })
  })

  describe("signing", function () {
    it("personal_sign and eth_sign use EIP-191 with the local keys", async function () {
      const message = "0x68656c6c6f"
      const viaPersonal = await call("personal_sign", [message, A0])
      const viaEth = await call("eth_sign", [A0, message])
      expect(viaPersonal).to.equal(viaEth)
      expect(viaPersonal).to.match(/^0x[0-9a-f]{130}$/)
    })
  })

  describe("the run record", function () {
    it("records each transaction's access set, call frame, slot preimages and the contract's code", async function () {
      const token = await deploy("Token", TOKEN_ARGS)
      await call("evm_setAutomine", [false])
      for (let i = 0; i < 3; i++) {
        const data = calldata("transfer(address,uint256)", A1 as `0x${string}`, 1n)
        await call("eth_sendTransaction", [{ from: A0, to: token, data: `0x${Buffer.from(data).toString("hex")}` }])
      }
      await call("evm_mine")
      const record = provider.recorder.take()
      const session = record.sessions[0]
      expect(session?.blocks.map((b) => b.transactions)).to.deep.equal([1, 3])
      expect(session?.blocks[1]?.mode).to.equal("parallel")
      const transfers = session?.transactions.filter((t) => t.to === token) ?? []
      expect(transfers).to.have.length(3)
      const transfer = transfers[0]
      expect(transfer?.selector).to.equal("0xa9059cbb")
      expect(transfer?.block).to.equal(1)
      expect(transfer?.calls?.[0]).to.deep.include({ depth: 0, kind: "call", address: token, selector: "0xa9059cbb" })
      // balanceOf[A1] is slot keccak(A1 . 0): its preimage is recorded and the write is in the access set.
      const preimage = `0x${A1.slice(2).padStart(64, "0")}${"0".repeat(64)}`
      expect(transfer?.preimages).to.include(preimage)
      expect(transfer?.writes.some((w) => "slot" in w && w.address === token)).to.equal(true)
      // The deployment recorded the runtime code under the hash the transfers read.
      const codeRead = transfer?.reads.find((r) => "field" in r && r.field === "code" && r.address === token)
      expect(record.codes[codeRead?.value as `0x${string}`]).to.equal(await call("eth_getCode", [token, "latest"]))
      // take() hands out each part once; snapshots and reverts keep what was recorded.
      expect(provider.recorder.take().sessions[0]?.transactions).to.have.length(0)
      expect(provider.recorder.summary).to.deep.include({ blocks: 2, transactions: 4, parallelBlocks: 1 })
    })

    it("marks the first block after evm_revert or hardhat_reset with the head the chain went back to", async function () {
      const send = () => call("eth_sendTransaction", [{ from: A0, to: A1, value: "0x1" }])
      await send() // block 1
      const snapshot = await call("evm_snapshot")
      await send() // block 2
      await send() // block 3
      await call("evm_revert", [snapshot])
      await call("hardhat_mine", ["0x5"]) // empty blocks 2..6: the first carries the revert
      await send() // block 7
      await call("hardhat_reset")
      await send() // block 1 of the fresh chain
      const blocks = provider.recorder.take().sessions[0]?.blocks ?? []
      expect(blocks.map((b) => [b.number, b.revertedTo])).to.deep.equal([
        ["1", undefined],
        ["2", undefined],
        ["3", undefined],
        ["2", "1"],
        ["3", undefined],
        ["4", undefined],
        ["5", undefined],
        ["6", undefined],
        ["7", undefined],
        ["1", "0"],
      ])
    })
  })
})

