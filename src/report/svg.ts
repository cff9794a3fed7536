/**
 * The two figures of the HTML report, as plain inline SVG strings:
 * - the slot contention heatmap, hot slots (rows) by functions (columns),
 *   drawn twice and switched by the page: coloured by the slot's write share
 *   where the function writes it, or by the read-after-write conflicts on that
 *   slot in which the function was the later transaction (summed over the
 *   pairs that name the slot; a pair involving several slots counts for each,
 *   so this is an upper bound; write-after-write pairs are left out, as every
 *   storage one comes with a read-after-write twin);
 * - the conflict graph: functions as nodes on a circle, each conflicting
 *   pair as an arrow from the earlier to the later function, as thick and
 *   as dark as its read-after-write rate, a function after itself as a loop;
 *   a write-after-write pair is folded into its read-after-write twin's
 *   tooltip, and drawn dashed and grey only when it has none.
 * Every piece of text is escaped; each cell and edge has a <title> tooltip.
 */
import type { ContractReport, FunctionConflict } from "../analysis/types.js"
import { integer, percent, plural } from "./format.js"
import { shortFunctionLabel } from "./metrics.js"

/** Text for HTML or SVG content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&#39;"))
}

const CHAR = 6.6
const round1 = (n: number): string => (Math.round(n * 10) / 10).toString()

/** Light to dark in one hue, v in 0..1. */
function shade(hue: number, v: number): string {
  const clamped = Math.max(0, Math.min(1, v))
  return `hsl(${hue} ${round1(55 + 30 * clamped)}% ${round1(94 - 52 * clamped)}%)`
}

const EMPTY = "#f1f3f5"

/** The functions a contract's figures show: those that wrote a hot slot or conflicted, in the report's order. */
export function figureFunctions(contract: ContractReport): string[] {
  const wanted = new Set<string>()
  for (const s of contract.hotSlots) for (const f of s.functions) wanted.add(f)
  for (const p of contract.conflicts) {
    wanted.add(p.from)
    wanted.add(p.to)
  }
  const order = contract.functions.map((f) => f.signature).filter((s) => wanted.has(s))
  for (const s of wanted) if (!order.includes(s)) order.push(s)
  return order
}

/** Read-after-write conflicts on `slot` in which `fn` was the later transaction (see the module comment). */
export function slotConflicts(pairs: readonly FunctionConflict[], slot: string, fn: string): number {
  let n = 0
  for (const p of pairs) if (p.kind === "read-after-write" && p.to === fn && p.slots.includes(slot)) n += p.count
  return n
}

export function heatmapSvg(contract: ContractReport, id: string): string {
  const functions = figureFunctions(contract)
  const slots = contract.hotSlots
  if (slots.length === 0 || functions.length === 0) return `<p class="empty">No hot slots to draw.</p>`
  const labels = functions.map((f) => shortFunctionLabel(contract, f))
  const cellW = 46
  const cellH = 24
  const left = Math.min(420, Math.ceil(Math.max(...slots.map((s) => s.name.length)) * CHAR) + 16)
  const top = Math.min(200, Math.ceil(Math.max(...labels.map((l) => l.length)) * CHAR * 0.72) + 24)
  const width = left + functions.length * cellW + Math.ceil(Math.max(...labels.map((l) => l.length)) * CHAR * 0.78)
  const height = top + slots.length * cellH + 10
  const counts = slots.map((s) => functions.map((f) => slotConflicts(contract.conflicts, s.name, f)))
  const maxCount = Math.max(1, ...counts.flat())
  const share: string[] = []
  const conflicts: string[] = []
  slots.forEach((slot, row) => {
    const y = top + row * cellH
    functions.forEach((fn, col) => {
      const x = left + col * cellW
      const writes = slot.functions.includes(fn)
      const count = counts[row]?.[col] ?? 0
      const base = `x="${x}" y="${y}" width="${cellW - 2}" height="${cellH - 2}" rx="3"`
      const cx = x + (cellW - 2) / 2
      const cy = y + cellH / 2 + 3
      const shareTitle = writes
        ? `${slot.name} is written by ${fn}; ${percent(slot.writeShare)} of ${contract.name}'s transactions write it (${integer(slot.writers)}).`
        : `${fn} does not write ${slot.name}.`
      share.push(
        `<g class="cell"><title>${escapeHtml(shareTitle)}</title><rect ${base} fill="${writes ? shade(212, slot.writeShare) : EMPTY}"/>` +
          (writes ? `<text x="${cx}" y="${cy}" class="v${slot.writeShare > 0.55 ? " light" : ""}">${escapeHtml(percent(slot.writeShare))}</text>` : "") +
          `</g>`,
      )
      const v = count / maxCount
      const conflictTitle =
        count > 0
          ? `${fn} conflicted on ${slot.name} after an earlier transaction in up to ${integer(count)} transactions.`
          : `No conflicts of ${fn} on ${slot.name}.`
      conflicts.push(
        `<g class="cell"><title>${escapeHtml(conflictTitle)}</title><rect ${base} fill="${count > 0 ? shade(8, 0.2 + 0.8 * v) : EMPTY}"/>` +
          (count > 0 ? `<text x="${cx}" y="${cy}" class="v${v > 0.55 ? " light" : ""}">${escapeHtml(integer(count))}</text>` : "") +
          `</g>`,
      )
    })
  })
  const rowLabels = slots
    .map((s, row) => `<text x="${left - 8}" y="${top + row * cellH + cellH / 2 + 3}" class="row${s.kind === "structural" ? " structural" : ""}">${escapeHtml(s.name)}<title>${escapeHtml(`${s.name}: ${s.kind} (${s.kindReason})`)}</title></text>`)
    .join("")
  const colLabels = labels
    .map((l, col) => {
      const x = left + col * cellW + cellW / 2
      return `<text transform="translate(${x} ${top - 8}) rotate(-40)" class="col">${escapeHtml(l)}<title>${escapeHtml(functions[col] as string)}</title></text>`
    })
    .join("")
  return (
    `<svg class="heatmap" id="${id}" data-mode="share" role="img" aria-label="${escapeHtml(`Slot contention heatmap of ${contract.name}`)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">` +
    `<g class="labels">${rowLabels}${colLabels}</g><g class="layer share">${share.join("")}</g><g class="layer conflicts">${conflicts.join("")}</g></svg>`
  )
}

/** The pairs the graph draws: every read-after-write pair, and write-after-write pairs without a read-after-write twin. */
export function graphEdges(pairs: readonly FunctionConflict[]): FunctionConflict[] {
  const raw = new Set(pairs.filter((p) => p.kind === "read-after-write").map((p) => `${p.from}|${p.to}`))
  return pairs.filter((p) => p.kind === "read-after-write" || !raw.has(`${p.from}|${p.to}`))
}

interface Point {
  readonly x: number
  readonly y: number
}

export function graphSvg(contract: ContractReport, id: string): string {
  const functions = figureFunctions(contract)
  for (const f of contract.functions) if (!functions.includes(f.signature) && f.signature !== "(deploy)" && functions.length < 16) functions.push(f.signature)
  if (functions.length === 0) return `<p class="empty">No functions to draw.</p>`
  const labels = functions.map((f) => shortFunctionLabel(contract, f))
  const n = functions.length
  const radius = n === 1 ? 0 : Math.max(110, (n * 64) / (2 * Math.PI))
  const loops = new Set(contract.conflicts.filter((p) => p.from === p.to).map((p) => p.from))
  const loopRoom = loops.size > 0 ? 50 : 0
  const marginX = Math.min(280, Math.ceil(Math.max(...labels.map((l) => l.length)) * CHAR) + 36 + loopRoom)
  const marginY = 44 + loopRoom
  const width = Math.ceil(2 * (radius + marginX))
  const height = Math.ceil(2 * (radius + marginY))
  const c = width / 2
  const cy0 = height / 2
  const nodeR = 16
  const at = new Map<string, Point & { angle: number }>()
  functions.forEach((f, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / n
    at.set(f, { x: c + radius * Math.cos(angle), y: cy0 + radius * Math.sin(angle), angle })
  })
  const edges: string[] = []
  const describe = (p: FunctionConflict): string =>
    `${p.kind} in ${percent(p.rate)} (${plural(p.count, "transaction")})${p.slots.length > 0 ? ` on ${p.slots.join(", ")}` : ""}`
  for (const pair of graphEdges(contract.conflicts)) {
    const a = at.get(pair.from)
    const b = at.get(pair.to)
    if (a === undefined || b === undefined) continue
    const raw = pair.kind === "read-after-write"
    const w = round1(1.2 + 5 * pair.rate)
    const stroke = raw ? shade(8, 0.35 + 0.65 * pair.rate) : "#868e96"
    const twin = raw ? contract.conflicts.find((p) => p.kind === "write-after-write" && p.from === pair.from && p.to === pair.to) : undefined
    const title = `${pair.from} then ${pair.to}: ${describe(pair)}${twin !== undefined ? `; ${describe(twin)}` : ""}`
    const marker = `url(#${id}-${raw ? "raw" : "waw"})`
    let path: string
    let label: Point
    if (pair.from === pair.to) {
      const out = { x: Math.cos(a.angle), y: Math.sin(a.angle) }
      const side = { x: -out.y, y: out.x }
      const s = { x: a.x + out.x * nodeR + side.x * 7, y: a.y + out.y * nodeR + side.y * 7 }
      const e = { x: a.x + out.x * nodeR - side.x * 7, y: a.y + out.y * nodeR - side.y * 7 }
      const k1 = { x: s.x + out.x * 40 + side.x * 22, y: s.y + out.y * 40 + side.y * 22 }
      const k2 = { x: e.x + out.x * 40 - side.x * 22, y: e.y + out.y * 40 - side.y * 22 }
      path = `M${round1(s.x)} ${round1(s.y)} C${round1(k1.x)} ${round1(k1.y)} ${round1(k2.x)} ${round1(k2.y)} ${round1(e.x)} ${round1(e.y)}`
      label = { x: a.x + out.x * (nodeR + 20) + side.x * 30, y: a.y + out.y * (nodeR + 20) + side.y * 30 }
    } else {
      const dx = b.x - a.x
      const dy = b.y - a.y
      const len = Math.hypot(dx, dy) || 1
      const ux = dx / len
      const uy = dy / len
      const bend = Math.min(40, len * 0.18)
      const mid = { x: (a.x + b.x) / 2 - uy * bend, y: (a.y + b.y) / 2 + ux * bend }
      const s = { x: a.x + ux * nodeR, y: a.y + uy * nodeR }
      const e = { x: b.x - ux * (nodeR + 3), y: b.y - uy * (nodeR + 3) }
      path = `M${round1(s.x)} ${round1(s.y)} Q${round1(mid.x)} ${round1(mid.y)} ${round1(e.x)} ${round1(e.y)}`
      label = { x: (s.x + 2 * mid.x + e.x) / 4, y: (s.y + 2 * mid.y + e.y) / 4 }
    }
    edges.push(
      `<g class="edge ${raw ? "raw" : "waw"}"><title>${escapeHtml(title)}</title>` +
        `<path d="${path}" fill="none" stroke="${stroke}" stroke-width="${w}"${raw ? "" : ` stroke-dasharray="5 4"`} marker-end="${marker}"/>` +
        `<text x="${round1(label.x)}" y="${round1(label.y)}" class="rate">${escapeHtml(percent(pair.rate))}</text></g>`,
    )
  }
  const calls = new Map(contract.functions.map((f) => [f.signature, f.transactions]))
  const nodes = functions.map((f, i) => {
    const p = at.get(f) as Point & { angle: number }
    const away = nodeR + (loops.has(f) ? 58 : 8)
    const lx = p.x + Math.cos(p.angle) * away
    const ly = p.y + Math.sin(p.angle) * away
    const anchor = n === 1 ? "middle" : Math.cos(p.angle) > 0.3 ? "start" : Math.cos(p.angle) < -0.3 ? "end" : "middle"
    const dy = n === 1 ? nodeR + 16 : Math.sin(p.angle) > 0.3 ? 12 : Math.sin(p.angle) < -0.3 ? -4 : 4
    return (
      `<g class="node"><title>${escapeHtml(`${f}: ${integer(calls.get(f) ?? 0)} transactions`)}</title>` +
      `<circle cx="${round1(p.x)}" cy="${round1(p.y)}" r="${nodeR}"/>` +
      `<text x="${round1(n === 1 ? p.x : lx)}" y="${round1(n === 1 ? p.y + dy : ly + dy)}" text-anchor="${anchor}" class="name">${escapeHtml(labels[i] as string)}</text></g>`
    )
  })
  const markers =
    `<defs><marker id="${id}-raw" viewBox="0 0 10 10" refX="8" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#c0392b"/></marker>` +
    `<marker id="${id}-waw" viewBox="0 0 10 10" refX="8" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#868e96"/></marker></defs>`
  return (
    `<svg class="graph" id="${id}" role="img" aria-label="${escapeHtml(`Conflict graph of ${contract.name}`)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">` +
    `${markers}<g class="edges">${edges.join("")}</g><g class="nodes">${nodes.join("")}</g></svg>`
  )
}
