/**
 * A gate between native calls in worker threads and the thread termination
 * that the main thread may do.
 *
 * Terminating a worker while it is inside a node-addon-api call (the native
 * secp256k1 package) aborts the whole process ("terminate called after
 * throwing an instance of 'Napi::Error'"): the addon cannot throw into an
 * environment that is being torn down. Measured on Node 22: a worker looping on
 * `ecdsaRecover`, terminated mid-loop, aborted the process within 1 to about 60
 * tries; the fault path terminates threads on every worker failure.
 *
 * So workers make native calls through this gate, one shared word: the count of
 * threads inside, and a CLOSING bit. The main thread closes it before
 * terminating any thread: it sets the bit, after which no thread enters, then
 * waits for the count to drain (the calls in flight, microseconds). Setting
 * the bit first matters: threads that loop on native calls re-enter at once,
 * so waiting to see the count at zero before closing could wait for ever. A
 * thread that reaches a closing or closed gate sleeps there until it is
 * terminated or the gate opens again. Passing costs two atomic operations.
 */
const CLOSING = 1 << 30
/** How long a thread at a closed gate sleeps between looks (termination also wakes it). */
const PARKED_MS = 50

export class NativeGate {
  readonly buffer: SharedArrayBuffer
  private readonly word: Int32Array

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(4)) {
    this.buffer = buffer
    this.word = new Int32Array(buffer, 0, 1)
  }

  /** Worker side: runs a native call inside the gate, first waiting while it is closing or closed. */
  pass<T>(call: () => T): T {
    const word = this.word
    for (;;) {
      const seen = Atomics.load(word, 0)
      if ((seen & CLOSING) !== 0) Atomics.wait(word, 0, seen, PARKED_MS)
      else if (Atomics.compareExchange(word, 0, seen, seen + 1) === seen) break
    }
    try {
      return call()
    } finally {
      Atomics.sub(word, 0, 1)
    }
  }

  /** Main side: once this resolves, no thread is inside a native call or will enter one. */
  async close(): Promise<void> {
    Atomics.or(this.word, 0, CLOSING)
    while (Atomics.load(this.word, 0) !== CLOSING) await new Promise<void>((resolve) => setImmediate(resolve))
  }

  /** Main side, synchronously (process exit): the same, spinning while the calls in flight end. */
  closeNow(): void {
    Atomics.or(this.word, 0, CLOSING)
    while (Atomics.load(this.word, 0) !== CLOSING) {
      // a native call is in flight on another thread: microseconds
    }
  }

  /** Main side: lets threads make native calls again. */
  open(): void {
    Atomics.store(this.word, 0, 0)
    Atomics.notify(this.word, 0)
  }

  /** Closed: no thread inside, none may enter. */
  get closed(): boolean {
    return Atomics.load(this.word, 0) === CLOSING
  }
}

/** Terminates a thread without ever catching it inside a native call. */
export async function terminateGated(gate: NativeGate, thread: { terminate(): Promise<number> }): Promise<number> {
  const wasClosed = gate.closed
  await gate.close()
  try {
    return await thread.terminate()
  } finally {
    if (!wasClosed) gate.open()
  }
}

/** Gates to close when the process exits: Node terminates worker threads after the "exit" listeners have run. */
const closedAtExit = new Set<NativeGate>()

/**
 * Closes `gate` when the process exits, so that Node's own termination of the
 * worker threads never lands in a native call either; the returned function
 * undoes it (for a pool that is destroyed earlier).
 */
export function closeOnExit(gate: NativeGate): () => void {
  if (closedAtExit.size === 0) process.once("exit", closeAllAtExit)
  closedAtExit.add(gate)
  return () => {
    closedAtExit.delete(gate)
    if (closedAtExit.size === 0) process.off("exit", closeAllAtExit)
  }
}

function closeAllAtExit(): void {
  for (const gate of closedAtExit) gate.closeNow()
}
