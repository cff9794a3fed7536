/**
 * The parts of a block that are not transactions. They always run in order on
 * the calling thread, around the transactions:
 * - before: EIP-4788 (parent beacon block root) and EIP-2935 (parent hash)
 *   ring-buffer writes;
 * - after: withdrawals (EIP-4895), proof-of-work block and ommer rewards, and
 *   the EIP-7685 requests (deposits from logs, EIP-7002 and EIP-7251 system calls).
 * Each follows what @ethereumjs/vm's runBlock does, so both stay comparable.
 */
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"

import { genRequestsRoot } from "@ethereumjs/block"
import { ConsensusType, Mainnet } from "@ethereumjs/common"
import type { EVM } from "@ethereumjs/evm"
import { Address, CLRequest, CLRequestType, bigIntToAddressBytes, bytesToBigInt, concatBytes, hexToBytes } from "@ethereumjs/util"
import { sha256 } from "@noble/hashes/sha2.js"

import { Field, accountKey, storageKey } from "./keys.js"
import type { BlockOverlay, WriteEntry } from "./overlay.js"
import type { BlockInput, Hex, Log } from "./types.js"
import type { BlockVm } from "./vm.js"
import { bytesToHex, hexToBytes as hexBytes } from "./worldState.js"

export const BEACON_ROOTS_ADDRESS: Hex = "0x000f3df6d732807ef1319fb7b8bb8522d0beac02"
/** EIP-4788's beacon roots contract, as the EIP deploys it; a new chain puts it in its genesis. */
export const BEACON_ROOTS_CODE: Hex =
  "0x3373fffffffffffffffffffffffffffffffffffffffe14604d57602036146024575f5ffd5b5f35801560495762001fff810690815414603c575f5ffd5b62001fff01545f5260205ff35b5f5ffd5b62001fff42064281555f359062001fff015500"
const DEPOSIT_TOPIC = "0x649bbc62d0e31342afea4e5cd82d4049e7e1ee912fc0889aa790803be39038c5"
const GWEI = 1_000_000_000n
/** Any non-zero storage epoch wipes storage; system operations use this one. */
const SYSTEM_WIPE_EPOCH = BigInt(Number.MAX_SAFE_INTEGER)

export class InvalidBlockError extends Error {
  constructor(message: string, readonly txIndex?: number) {
    super(message)
    this.name = "InvalidBlockError"
  }
}

function slotHex(n: bigint): Hex {
  return `0x${n.toString(16).padStart(64, "0")}`
}

function paramAddress(vm: BlockVm, name: string): Hex {
  return bytesToHex(bigIntToAddressBytes(vm.common.param(name))).toLowerCase() as Hex
}

function hasCode(overlay: BlockOverlay, address: Hex): boolean {
  return overlay.read(accountKey(address, Field.code)) !== 0n
}

let daoConfig: { accounts: Hex[]; refund: Hex } | undefined

/**
 * The DAO fork's irregular state change (EIP-779): the drained accounts'
 * balances move to the refund contract. The account list is consensus data
 * that @ethereumjs/vm keeps private; it is read from the installed (pinned)
 * package rather than copied here.
 */
function daoTransition(): { accounts: Hex[]; refund: Hex } {
  if (daoConfig !== undefined) return daoConfig
  const require = createRequire(import.meta.url)
  const file = join(dirname(require.resolve("@ethereumjs/vm")), "runBlock.js")
  const source = readFileSync(file, "utf8")
  const list = /DAOAccounts:\s*\[([^\]]*)\]/.exec(source)?.[1]
  const refund = /DAORefundContract:\s*'([0-9a-f]{40})'/.exec(source)?.[1]
  const accounts = [...(list ?? "").matchAll(/'([0-9a-f]{40})'/g)].map((m) => `0x${m[1]}` as Hex)
  if (accounts.length === 0 || refund === undefined) throw new Error(`could not read the DAO fork accounts from ${file}`)
  daoConfig = { accounts, refund: `0x${refund}` }
  return daoConfig
}

function isDaoForkBlock(vm: BlockVm, number: bigint): boolean {
  const common = vm.common
  const daoBlock = common.hardforkBlock("dao")
  return daoBlock !== null && number === daoBlock && common.hardforkIsActiveOnBlock("dao", number)
}

/** System writes that come before the first transaction; returns them so workers can apply them too. */
export function applyPreTransactions(vm: BlockVm, overlay: BlockOverlay, block: BlockInput): WriteEntry[] {
  const common = vm.common
  const { header } = block
  const writes: WriteEntry[] = []
  if (isDaoForkBlock(vm, header.number)) {
    const { accounts, refund } = daoTransition()
    let total = 0n
    for (const address of accounts) {
      total += overlay.read(accountKey(address, Field.balance))
      writes.push([accountKey(address, Field.exists).id, 1n, false], [accountKey(address, Field.balance).id, 0n, false])
    }
    writes.push(
      [accountKey(refund, Field.exists).id, 1n, false],
      [accountKey(refund, Field.balance).id, overlay.read(accountKey(refund, Field.balance)) + total, false],
    )
  }
  if (common.isActivatedEIP(4788) && hasCode(overlay, BEACON_ROOTS_ADDRESS)) {
    const length = common.param("historicalRootsLength")
    const index = header.timestamp % length
    const root = header.parentBeaconBlockRoot ?? (`0x${"00".repeat(32)}` as Hex)
    writes.push([storageKey(BEACON_ROOTS_ADDRESS, slotHex(index)).id, header.timestamp, false])
    writes.push([storageKey(BEACON_ROOTS_ADDRESS, slotHex(index + length)).id, BigInt(root), false])
  }
  if (common.isActivatedEIP(2935)) {
    const history = paramAddress(vm, "historyStorageAddress")
    if (hasCode(overlay, history)) {
      const window = common.param("historyServeWindow")
      const parent = header.parentHash ?? (`0x${"00".repeat(32)}` as Hex)
      writes.push([storageKey(history, slotHex((header.number - 1n) % window)).id, BigInt(parent), false])
    }
  }
  overlay.apply(writes)
  return writes
}

/** Credits `amount` to an account as a system operation, creating it if needed. */
function reward(overlay: BlockOverlay, address: Hex, amount: bigint, touchCleanup: boolean): void {
  const exists = overlay.read(accountKey(address, Field.exists)) === 1n
  if (!exists) {
    if (amount === 0n && touchCleanup) return // created empty, then removed as touched and empty
    overlay.apply([
      [accountKey(address, Field.exists).id, 1n, false],
      [accountKey(address, Field.balance).id, amount, false],
    ])
    return
  }
  if (amount > 0n) {
    overlay.apply([[accountKey(address, Field.balance).id, amount, true]])
    return
  }
  const empty =
    overlay.read(accountKey(address, Field.nonce)) === 0n &&
    overlay.read(accountKey(address, Field.balance)) === 0n &&
    overlay.read(accountKey(address, Field.code)) === 0n
  if (empty && touchCleanup) {
    overlay.apply([
      [accountKey(address, Field.exists).id, 0n, false],
      [accountKey(address, Field.storageEpoch).id, SYSTEM_WIPE_EPOCH, false],
    ])
  }
}

export interface PostTransactionResult {
  readonly requests?: readonly Hex[]
  readonly requestsHash?: Hex
}

/** Withdrawals, rewards and requests, after the last transaction. */
export async function applyPostTransactions(
  vm: BlockVm,
  overlay: BlockOverlay,
  block: BlockInput,
  logs: readonly Log[],
): Promise<PostTransactionResult> {
  const common = vm.common
  if (common.isActivatedEIP(4895)) {
    for (const w of block.withdrawals ?? []) reward(overlay, w.address, w.amount * GWEI, true)
  }
  if (common.consensusType() === ConsensusType.ProofOfWork) {
    const minerReward = common.param("minerReward")
    const ommers = block.ommers ?? []
    for (const ommer of ommers) {
      const heightDiff = block.header.number - ommer.number
      const amount = ((8n - heightDiff) * minerReward) / 8n
      reward(overlay, ommer.coinbase, amount < 0n ? 0n : amount, common.gteHardfork("spuriousDragon"))
    }
    const amount = minerReward + (minerReward / 32n) * BigInt(ommers.length)
    reward(overlay, block.header.coinbase, amount, common.gteHardfork("spuriousDragon"))
  }
  if (!common.isActivatedEIP(7685)) return {}

  const requests: CLRequest<CLRequestType>[] = []
  if (common.isActivatedEIP(6110)) requests.push(new CLRequest(CLRequestType.Deposit, depositRequests(logs)))
  if (common.isActivatedEIP(7002)) {
    requests.push(new CLRequest(CLRequestType.Withdrawal, await systemCall(vm, overlay, block, paramAddress(vm, "withdrawalRequestPredeployAddress"))))
  }
  if (common.isActivatedEIP(7251)) {
    requests.push(
      new CLRequest(CLRequestType.Consolidation, await systemCall(vm, overlay, block, paramAddress(vm, "consolidationRequestPredeployAddress"))),
    )
  }
  return {
    requests: requests.map((r) => bytesToHex(r.bytes)),
    requestsHash: bytesToHex(genRequestsRoot(requests, sha256)),
  }
}

/** EIP-6110: deposit requests are read from the deposit contract's logs. */
function depositRequests(logs: readonly Log[]): Uint8Array {
  const contract = (Mainnet.depositContractAddress ?? "").toLowerCase()
  const parts: Uint8Array[] = []
  for (const log of logs) {
    if (log.topics[0] !== DEPOSIT_TOPIC || log.address !== contract) continue
    const data = hexBytes(log.data)
    // ABI layout of DepositEvent(bytes,bytes,bytes,bytes,bytes): fixed offsets and sizes.
    const fields: [offset: number, size: number][] = [
      [160, 48],
      [256, 32],
      [320, 8],
      [384, 96],
      [512, 8],
    ]
    if (data.length !== 576) throw new InvalidBlockError("invalid deposit log: unexpected length")
    for (let i = 0; i < fields.length; i++) {
      const [offset, size] = fields[i] as [number, number]
      if (bytesToBigInt(data.subarray(i * 32, i * 32 + 32)) !== BigInt(offset)) {
        throw new InvalidBlockError("invalid deposit log: unexpected layout")
      }
      if (bytesToBigInt(data.subarray(offset, offset + 32)) !== BigInt(size)) {
        throw new InvalidBlockError("invalid deposit log: unexpected field size")
      }
      parts.push(data.subarray(offset + 32, offset + 32 + size))
    }
  }
  return concatBytes(...parts)
}

/** A system call (EIP-7002/7251): runs from the system address, which is left untouched. */
async function systemCall(vm: BlockVm, overlay: BlockOverlay, block: BlockInput, to: Hex): Promise<Uint8Array> {
  if (overlay.read(accountKey(to, Field.exists)) === 0n) return new Uint8Array()
  const system = paramAddress(vm, "systemAddress")
  vm.view.begin(overlay, Number.MAX_SAFE_INTEGER, block.header.coinbase)
  const evm = vm.vm.evm as EVM
  const result = await evm.runCall({
    caller: new Address(hexToBytes(system)),
    to: new Address(hexToBytes(to)),
    gasLimit: vm.common.param("systemCallGasLimit"),
    block: vm.currentBlock(),
  })
  const access = vm.view.finish()
  const writes: WriteEntry[] = []
  for (const [id, write] of access.writes) {
    if (!id.startsWith(system) || id.length !== 43) writes.push([id, write.value, write.delta])
  }
  overlay.apply(writes, [...access.codes])
  return result.execResult.returnValue
}
