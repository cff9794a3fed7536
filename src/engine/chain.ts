/**
 * Chain rules for a block: the ethereumjs Common for its hardfork (with native
 * secp256k1 plugged in), and the ethereumjs Block that transactions run in.
 * Commons are cached per chain and hardfork because the VM is built around one.
 */
import { createBlock, paramsBlock } from "@ethereumjs/block"
import type { Block } from "@ethereumjs/block"
import { Common, Mainnet, createCustomCommon } from "@ethereumjs/common"
import { paramsEVM } from "@ethereumjs/evm"
import { paramsTx } from "@ethereumjs/tx"
import { hexToBytes } from "@ethereumjs/util"
import { paramsVM } from "@ethereumjs/vm"

import { nativeCrypto } from "./crypto.js"
import type { BlockHeaderInput, ChainConfig } from "./types.js"

export const MAINNET: ChainConfig = { chainId: 1n, hardfork: "mainnet" }

const commons = new Map<string, Common>()

/** The hardfork a block of this chain runs under. */
export function hardforkOf(chain: ChainConfig, header: Pick<BlockHeaderInput, "number" | "timestamp">): string {
  if (chain.hardfork !== "mainnet") return chain.hardfork
  const common = new Common({ chain: Mainnet })
  return common.setHardforkBy({ blockNumber: header.number, timestamp: header.timestamp })
}

export function commonFor(chain: ChainConfig, hardfork: string): Common {
  const cacheKey = `${chain.chainId}:${chain.hardfork}:${hardfork}`
  let common = commons.get(cacheKey)
  if (common === undefined) {
    common =
      chain.hardfork === "mainnet"
        ? new Common({ chain: Mainnet, hardfork, customCrypto: nativeCrypto })
        : createCustomCommon({ chainId: Number(chain.chainId) }, Mainnet, { hardfork, customCrypto: nativeCrypto })
    withParamsMergedOnce(common)
    commons.set(cacheKey, common)
  }
  return common
}

type ParamsSet = Parameters<Common["updateParams"]>[0]

/**
 * Every ethereumjs transaction, block header, EVM and VM merges its package's
 * parameters into (a shallow copy of) its Common, which deep-copies them and
 * rebuilds the parameter cache: 25-50 µs, several times per transaction. The
 * four sets are merged once here, before any copy shares this Common's
 * parameters and cache, and merging one of them again is then skipped. Any
 * other set still goes through ethereumjs' own merge.
 */
function withParamsMergedOnce(common: Common): void {
  const merged = new Set<ParamsSet>([paramsTx, paramsBlock, paramsEVM, paramsVM])
  for (const params of merged) common.updateParams(params)
  const updateParams = common.updateParams
  common.updateParams = function (this: Common, params: ParamsSet): void {
    if (!merged.has(params)) updateParams.call(this, params)
  }
}

/** The ethereumjs Block (header only) that runTx needs; withdrawals are applied by the block frame. */
export function blockFor(common: Common, header: BlockHeaderInput): Block {
  const postMerge = common.gteHardfork("paris")
  return createBlock(
    {
      header: {
        number: header.number,
        timestamp: header.timestamp,
        coinbase: hexToBytes(header.coinbase),
        gasLimit: header.gasLimit,
        difficulty: postMerge ? 0n : (header.difficulty ?? 0n),
        ...(header.mixHash !== undefined ? { mixHash: hexToBytes(header.mixHash) } : {}),
        ...(header.parentHash !== undefined ? { parentHash: hexToBytes(header.parentHash) } : {}),
        ...(header.extraData !== undefined ? { extraData: hexToBytes(header.extraData) } : {}),
        ...(common.isActivatedEIP(1559) ? { baseFeePerGas: header.baseFeePerGas ?? 0n } : {}),
        ...(common.isActivatedEIP(4844)
          ? { excessBlobGas: header.excessBlobGas ?? 0n, blobGasUsed: header.blobGasUsed ?? 0n }
          : {}),
        ...(common.isActivatedEIP(4788)
          ? { parentBeaconBlockRoot: hexToBytes(header.parentBeaconBlockRoot ?? `0x${"00".repeat(32)}`) }
          : {}),
      },
      ...(common.isActivatedEIP(4895) ? { withdrawals: [] } : {}),
    },
    { common, skipConsensusFormatValidation: true, freeze: false },
  )
}
