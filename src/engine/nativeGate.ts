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
 * threads inside, or CLOSED. The main thread closes it before terminating any
 * thread: closing waits out the calls in flight (tens of microseconds), and a
 * thread that reaches a closed gate sleeps there until it is terminated or the
 * gate opens again. Passing costs two atomic operations.
 */
const CLOSED = -1
/** How long a thread at a closed gate sleeps between looks (termination also wakes it). */
const PARKED_MS = 50

export class NativeGate {
  readonly buffer: SharedArrayBuffer
  private readonly word: Int32Array

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(4)) {
    this.buffer = buffer
    this.word = new Int32Array(buffer, 0, 1)
  }

  /** Worker side: runs a native call inside the gate, first waiting while it is closed. */
  pass<T>(call: () => T): T {
    const word = this.word
    for (;;) {
      const inside = Atomics.load(word, 0)
      if (inside === CLOSED) Atomics.wait(word, 0, CLOSED, PARKED_MS)
      else if (Atomics.compareExchange(word, 0, inside, inside + 1) === inside) break
    }
    try {
      return call()
    } finally {
      Atomics.sub(word, 0, 1)
    }
  }

  /** Main side: once this resolves, no thread is inside a native call or will enter one. */
  async close(): Promise<void> {
    for (;;) {
      const inside = Atomics.compareExchange(this.word, 0, 0, CLOSED)
      if (inside === 0 || inside === CLOSED) return
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
  }

  /** Main side: lets threads make native calls again. */
  open(): void {
    Atomics.store(this.word, 0, 0)
    Atomics.notify(this.word, 0)
  }

  get closed(): boolean {
    return Atomics.load(this.word, 0) === CLOSED
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
