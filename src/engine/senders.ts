/**
 * Dependencies known before execution. Transactions from one sender form a
 * nonce chain: each reads the nonce and balance the previous one wrote, so
 * running one before its predecessor executed is wasted work. Likewise a
 * transaction whose sender an earlier transaction pays, and one sent by the
 * coinbase, whose balance every earlier fee adds to. Block-STM would find out
 * by validation; knowing it up front lets a transaction wait instead (pevm
 * does the same).
 */
import { SENDER_WORDS, Ctrl, type BlockViews } from "./blockMemory.js"
import type { Hex, TxInput } from "./types.js"

export interface TxParties {
  readonly sender: string | undefined
  /** The recipient of a value transfer; undefined for a creation or no value. */
  readonly payee: string | undefined
}

/** For each transaction, the closest lower one from the same sender, and the closest lower one that pays its sender. */
export function linkParties(parties: readonly TxParties[], coinbase: string, prevSender: Int32Array, prevCredit: Int32Array): void {
  const lastSent = new Map<string, number>()
  const lastPaid = new Map<string, number>()
  for (let i = 0; i < parties.length; i++) {
    const { sender, payee } = parties[i] as TxParties
    prevSender[i] = sender === undefined ? -1 : (lastSent.get(sender) ?? -1)
    prevCredit[i] = sender === undefined ? -1 : sender === coinbase ? i - 1 : (lastPaid.get(sender) ?? -1)
    if (sender !== undefined) lastSent.set(sender, i)
    if (payee !== undefined) lastPaid.set(payee, i)
  }
}

/** Main thread: when every sender is given, link them now and tell the workers to skip the pre-pass. */
export function linkGivenSenders(transactions: readonly TxInput[], coinbase: string, views: BlockViews): boolean {
  if (!transactions.every((t) => t.sender !== undefined)) return false
  linkParties(
    transactions.map((t) => ({ sender: t.sender, payee: t.payee })),
    coinbase,
    views.prevSender,
    views.prevCredit,
  )
  Atomics.store(views.ctrl, Ctrl.sendersGiven, 1)
  return true
}

function putAddress(words: Int32Array, at: number, address: string): void {
  for (let i = 0; i < 5; i++) words[at + i] = parseInt(address.slice(2 + i * 8, 10 + i * 8), 16) | 0
}

function getAddress(words: Int32Array, at: number): Hex | undefined {
  let hex = "0x"
  let zero = true
  for (let i = 0; i < 5; i++) {
    const w = (words[at + i] as number) >>> 0
    if (w !== 0) zero = false
    hex += w.toString(16).padStart(8, "0")
  }
  return zero ? undefined : (hex as Hex)
}

export function writeParties(views: BlockViews, tx: number, parties: TxParties | undefined): void {
  const at = tx * SENDER_WORDS
  if (parties?.sender !== undefined) putAddress(views.senders, at + 1, parties.sender)
  if (parties?.payee !== undefined) putAddress(views.senders, at + 6, parties.payee)
  Atomics.store(views.senders, at, parties?.sender === undefined ? 2 : 1)
}

export function readParties(views: BlockViews, tx: number): TxParties {
  const at = tx * SENDER_WORDS
  if (Atomics.load(views.senders, at) !== 1) return { sender: undefined, payee: undefined }
  return { sender: getAddress(views.senders, at + 1), payee: getAddress(views.senders, at + 6) }
}
