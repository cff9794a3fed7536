/**
 * What Hardhat's built-in request handlers add to a request before EDR sees
 * it, done again for our node, because our `onRequest` hook answers before
 * those handlers run. For `eth_sendTransaction` without them: the fees
 * (`maxFeePerGas` = the next base fee × 81/64, the tip from `eth_feeHistory`'s
 * median, else `eth_maxPriorityFeePerGas`, at least 1 wei) or the network's
 * fixed `gasPrice`; the gas (`eth_estimateGas` × `gasMultiplier`, below the
 * block gas limit) or the network's fixed `gas`. For it and for `eth_call` and
 * `eth_estimateGas`: the `from` (the network's, else the first account). The
 * estimate is what makes a reverting transaction fail when it is sent, even
 * with automine off, as on Hardhat.
 */
import type { PevmProvider, RequestArguments } from "../network/index.js"

/** The fields of an edr-simulated network config that the defaults read. */
export interface RequestDefaultsConfig {
  readonly gas: "auto" | bigint
  readonly gasPrice: "auto" | bigint
  readonly gasMultiplier: number
  readonly from?: string | undefined
}

type TxObject = Record<string, unknown>

const hex = (value: bigint): string => `0x${value.toString(16)}`
const isTxObject = (value: unknown): value is TxObject => typeof value === "object" && value !== null && !Array.isArray(value)

/** Hardhat pays up to the base fee after this many full blocks (each raises it by 1/8). */
const FULL_BLOCKS = 3n
/** The latest block's gas limit is cached at this share, in case it varies (Hardhat's factor). */
const GAS_LIMIT_SAFETY = 0.95

export class RequestDefaults {
  private firstAccount: string | undefined
  private accountsFetched = false
  private cachedGasLimit: number | undefined
  private eip1559: boolean | undefined

  constructor(private readonly node: PevmProvider, private readonly config: RequestDefaultsConfig) {}

  /** The request's params with the defaults filled in (a copy; the caller's request is left as it was). */
  async apply(method: string, params: RequestArguments["params"]): Promise<RequestArguments["params"]> {
    if (method !== "eth_sendTransaction" && method !== "eth_call" && method !== "eth_estimateGas") return params
    if (!Array.isArray(params) || !isTxObject(params[0])) return params
    const tx: TxObject = { ...params[0] }
    const filled = [tx, ...params.slice(1)]
    if (method === "eth_sendTransaction") {
      await this.fillFees(tx)
      if (tx["gas"] === undefined) {
        if (tx["from"] === undefined) await this.fillSender(tx)
        tx["gas"] = this.config.gas === "auto" ? await this.estimate(filled) : hex(this.config.gas)
      }
    }
    if (tx["from"] === undefined) await this.fillSender(tx)
    return filled
  }

  private async fillSender(tx: TxObject): Promise<void> {
    if (this.config.from !== undefined) {
      tx["from"] = this.config.from
      return
    }
    if (!this.accountsFetched) {
      const accounts = await this.node.request({ method: "eth_accounts" })
      this.firstAccount = Array.isArray(accounts) && typeof accounts[0] === "string" ? accounts[0] : undefined
      this.accountsFetched = true
    }
    if (this.firstAccount !== undefined) tx["from"] = this.firstAccount
  }

  private async fillFees(tx: TxObject): Promise<void> {
    if (tx["gasPrice"] !== undefined || (tx["maxFeePerGas"] !== undefined && tx["maxPriorityFeePerGas"] !== undefined)) return
    if (this.config.gasPrice !== "auto") {
      tx["gasPrice"] = hex(this.config.gasPrice)
      return
    }
    let suggested = await this.suggestFees()
    if (suggested === undefined) {
      // Before London (or without eth_feeHistory) Hardhat falls back to eth_gasPrice.
      const gasPrice = BigInt((await this.node.request({ method: "eth_gasPrice" })) as string)
      if (tx["maxFeePerGas"] === undefined && tx["maxPriorityFeePerGas"] === undefined) {
        tx["gasPrice"] = hex(gasPrice)
        return
      }
      suggested = { maxFee: gasPrice, tip: gasPrice }
    }
    let maxFee = typeof tx["maxFeePerGas"] === "string" ? BigInt(tx["maxFeePerGas"]) : suggested.maxFee
    const maxTip = typeof tx["maxPriorityFeePerGas"] === "string" ? BigInt(tx["maxPriorityFeePerGas"]) : suggested.tip
    if (maxFee < maxTip) maxFee += maxTip
    tx["maxFeePerGas"] = hex(maxFee)
    tx["maxPriorityFeePerGas"] = hex(maxTip)
  }

  private async suggestFees(): Promise<{ maxFee: bigint; tip: bigint } | undefined> {
    if (this.eip1559 === undefined) {
      const latest = (await this.node.request({
        method: "eth_getBlockByNumber",
        params: ["latest", false],
      })) as { baseFeePerGas?: string }
      this.eip1559 = latest.baseFeePerGas !== undefined
    }
    if (!this.eip1559) return undefined
    const history = (await this.node.request({
      method: "eth_feeHistory",
      params: ["0x1", "latest", [50]],
    })) as { baseFeePerGas: string[]; reward: string[][] }
    let tip = BigInt(history.reward[0]?.[0] ?? "0x0")
    if (tip === 0n)
      tip = BigInt(
        (await this.node.request({
          method: "eth_maxPriorityFeePerGas",
        })) as string,
      )
    if (tip === 0n) tip = 1n
    const nextBaseFee = BigInt(history.baseFeePerGas.at(-1) ?? "0x0")
    return {
      maxFee: (nextBaseFee * 9n ** (FULL_BLOCKS - 1n)) / 8n ** (FULL_BLOCKS - 1n),
      tip,
    }
  }

  /** `eth_estimateGas` × gasMultiplier, kept below the block gas limit; an estimate that fails fails the send. */
  private async estimate(params: unknown[]): Promise<string> {
    const estimate = (await this.node.request({
      method: "eth_estimateGas",
      params,
    })) as string
    if (this.config.gasMultiplier === 1) return estimate
    if (this.cachedGasLimit === undefined) {
      const latest = (await this.node.request({
        method: "eth_getBlockByNumber",
        params: ["latest", false],
      })) as { gasLimit: string }
      this.cachedGasLimit = Math.floor(Number(BigInt(latest.gasLimit)) * GAS_LIMIT_SAFETY)
    }
    const multiplied = Math.floor(Number(BigInt(estimate)) * this.config.gasMultiplier)
    return hex(BigInt(multiplied > this.cachedGasLimit ? this.cachedGasLimit - 1 : multiplied))
  }
}
