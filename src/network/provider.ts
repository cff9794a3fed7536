/**
 * The node as an EIP-1193 provider: `request({ method, params })`, plus the
 * legacy `send`/`sendAsync` and the EventEmitter that Hardhat's providers
 * have. Requests run one at a time (see Node.enqueue). Failures are thrown as
 * JsonRpcError, whose `code`, `message` and `data` match Hardhat's network.
 */
import { EventEmitter } from "node:events"
import { callbackify } from "node:util"

import { Node } from "./node.js"
import { nodeConfig, type NodeConfig } from "./config.js"
import { InvalidParamsError, JsonRpcError } from "./errors.js"
import type { SessionRecorder } from "./record.js"
import { Rpc } from "./rpc.js"
import { object, params } from "./values.js"

export interface RequestArguments {
  readonly method: string
  readonly params?: readonly unknown[] | object
}

interface JsonRpcRequest {
  readonly jsonrpc: "2.0"
  readonly id: number | string | null
  readonly method: string
  readonly params?: unknown[]
}

type JsonRpcResponse =
  | { jsonrpc: "2.0"; id: number | string | null; result: unknown }
  | { jsonrpc: "2.0"; id: number | string | null; error: { code: number; message: string; data?: unknown } }

export class PevmProvider extends EventEmitter {
  private node: Node
  private rpc: Rpc
  private closed = false

  constructor(config: Partial<NodeConfig> = {}) {
    super()
    this.node = new Node(nodeConfig(config))
    this.rpc = new Rpc(this.node)
  }

  /** Hardhat's automatic gas handler falls back to this when estimation cannot succeed. */
  get defaultTransactionGasLimit(): bigint {
    return this.node.defaultTransactionGasLimit
  }

  readonly isBlockGasLimitEnforced = true

  /** What every mined block and transaction did, for the report; `take()` returns the part not yet taken. */
  get recorder(): SessionRecorder {
    return this.node.recorder
  }

  get chain(): Node {
    return this.node
  }

  async request(args: RequestArguments): Promise<unknown> {
    if (this.closed) throw new JsonRpcError(-32603, "The provider is closed")
    if (typeof args !== "object" || args === null || typeof args.method !== "string") {
      throw new InvalidParamsError("Invalid request: expected an object with a string `method`")
    }
    const { method, params } = args
    if (method === "hardhat_reset") return this.reset(params)
    return this.node.enqueue(async () => {
      try {
        return await this.rpc.handle(method, params)
      } catch (error) {
        if (error instanceof JsonRpcError) throw error
        throw new JsonRpcError(-32603, (error as Error).message ?? String(error))
      }
    })
  }

  send(method: string, params?: unknown[]): Promise<unknown> {
    return this.request({ method, ...(params !== undefined ? { params } : {}) })
  }

  sendAsync(request: JsonRpcRequest, callback: (error: unknown, response: JsonRpcResponse) => void): void {
    callbackify(async (): Promise<JsonRpcResponse> => {
      try {
        const result = await this.request({ method: request.method, ...(request.params !== undefined ? { params: request.params } : {}) })
        return { jsonrpc: "2.0", id: request.id, result }
      } catch (error) {
        const e = error as JsonRpcError
        return { jsonrpc: "2.0", id: request.id, error: { code: typeof e.code === "number" ? e.code : -32603, message: e.message, data: e.data } }
      }
    })(callback)
  }

  /** hardhat_reset: a fresh chain from the same configuration (forking is not supported). */
  private async reset(rawParams: RequestArguments["params"]): Promise<boolean> {
    const [given] = params(rawParams, "hardhat_reset", 0, 1)
    const options = given === undefined || given === null ? undefined : object(given, "options")
    if (options !== undefined && options.forking !== undefined && options.forking !== null) {
      throw new JsonRpcError(-32000, "hardhat-pevm does not support forking: hardhat_reset can only reset to a fresh local chain")
    }
    await this.node.enqueue(async () => undefined)
    const config = this.node.config
    const { recording, recorder } = this.node
    await this.node.close()
    this.node = new Node(config)
    this.node.recording = recording
    this.node.recorder = recorder
    recorder.noteRevert(this.node.latest.number)
    this.rpc = new Rpc(this.node)
    return true
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.removeAllListeners()
    await this.node.close()
  }
}
