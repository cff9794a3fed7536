/**
 * Loads a real block in the `mainnet-blocks` format (see ../shared/mainnet-blocks):
 * the block as `eth_getBlockByNumber(n, true)` returned it, the pre-state it
 * reads, and the hashes BLOCKHASH needs. Everything is gzip-compressed JSON.
 *
 * Uncle headers are not in the format, so ommer rewards are left out; they come
 * after the last transaction and change neither receipts, bloom nor gasUsed.
 */
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { gunzipSync } from "node:zlib"

import { createTxFromRPC } from "@ethereumjs/tx"

import { MAINNET, commonFor, hardforkOf } from "./chain.js"
import type { BlockInput, ChainConfig, Hex, TxInput, Withdrawal } from "./types.js"
import { WorldState, hexToBytes } from "./worldState.js"
import { keccak_256 } from "@noble/hashes/sha3.js"
import { bytesToBigInt } from "@ethereumjs/util"

export interface ReplayCase {
  readonly number: bigint
  readonly hardfork: string
  readonly chain: ChainConfig
  readonly preState: WorldState
  readonly block: BlockInput
  /** What the block header commits to. */
  readonly expected: { readonly receiptsRoot: Hex; readonly logsBloom: Hex; readonly gasUsed: bigint }
}

type Json = Record<string, unknown>

function readGzipJson(path: string): unknown {
  return JSON.parse(gunzipSync(readFileSync(path)).toString("utf8"))
}

function big(value: unknown): bigint {
  return value === undefined || value === null ? 0n : BigInt(value as string | number)
}

export async function loadReplayCase(dir: string): Promise<ReplayCase> {
  const raw = readGzipJson(join(dir, "block.json.gz")) as Json
  const header = {
    number: big(raw.number),
    timestamp: big(raw.timestamp),
    coinbase: (raw.miner as string).toLowerCase() as Hex,
    gasLimit: big(raw.gasLimit),
    difficulty: big(raw.difficulty),
    ...(raw.baseFeePerGas !== undefined ? { baseFeePerGas: big(raw.baseFeePerGas) } : {}),
    ...(raw.mixHash !== undefined ? { mixHash: raw.mixHash as Hex } : {}),
    ...(raw.parentHash !== undefined ? { parentHash: raw.parentHash as Hex } : {}),
    ...(raw.parentBeaconBlockRoot !== undefined ? { parentBeaconBlockRoot: raw.parentBeaconBlockRoot as Hex } : {}),
    ...(raw.excessBlobGas !== undefined ? { excessBlobGas: big(raw.excessBlobGas) } : {}),
    ...(raw.blobGasUsed !== undefined ? { blobGasUsed: big(raw.blobGasUsed) } : {}),
    ...(raw.extraData !== undefined ? { extraData: raw.extraData as Hex } : {}),
  }
  const chain = MAINNET
  const hardfork = hardforkOf(chain, header)
  const common = commonFor(chain, hardfork)

  const transactions: TxInput[] = []
  for (const tx of raw.transactions as Json[]) {
    const parsed = await createTxFromRPC(tx as never, { common })
    transactions.push({ raw: parsed.serialize() })
  }
  const withdrawals: Withdrawal[] = ((raw.withdrawals as Json[] | undefined) ?? []).map((w) => ({
    index: big(w.index),
    validatorIndex: big(w.validatorIndex),
    address: (w.address as string).toLowerCase() as Hex,
    amount: big(w.amount),
  }))
  const blockHashes = new Map<bigint, Hex>()
  const hashesPath = join(dir, "block_hashes.json.gz")
  if (existsSync(hashesPath)) {
    for (const [n, hash] of Object.entries(readGzipJson(hashesPath) as Record<string, string>)) {
      blockHashes.set(BigInt(n), hash as Hex)
    }
  }

  return {
    number: header.number,
    hardfork,
    chain,
    preState: loadPreState(readGzipJson(join(dir, "pre_state.json.gz")) as Record<string, Json>),
    block: { header, transactions, withdrawals, blockHashes },
    expected: {
      receiptsRoot: raw.receiptsRoot as Hex,
      logsBloom: raw.logsBloom as Hex,
      gasUsed: big(raw.gasUsed),
    },
  }
}

function loadPreState(accounts: Record<string, Json>): WorldState {
  const state = new WorldState()
  for (const [address, account] of Object.entries(accounts)) {
    const basic = account.basic as { balance: string; nonce: number }
    let codeHash = 0n
    const code = account.code as { bytecode: string; original_len: number } | null
    if (code !== null && code.original_len > 0) {
      const bytes = hexToBytes(code.bytecode).subarray(0, code.original_len)
      codeHash = bytesToBigInt(keccak_256(bytes))
      state.codes.set(codeHash, bytes)
    }
    const storage = new Map<Hex, bigint>()
    for (const [slot, value] of Object.entries((account.storage as Record<string, string> | undefined) ?? {})) {
      const v = BigInt(value)
      if (v !== 0n) storage.set(`0x${BigInt(slot).toString(16).padStart(64, "0")}`, v)
    }
    state.accounts.set(address.toLowerCase() as Hex, {
      nonce: BigInt(basic.nonce),
      balance: BigInt(basic.balance),
      codeHash,
      storage,
    })
  }
  return state
}
