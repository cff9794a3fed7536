/**
 * Box tables in the style of Hardhat's `--gas-stats` output (double outer
 * border, single inner rules), with what that style lacks for this report:
 * several grids of different columns in one box (each with its own widths,
 * joined by a rule that closes one grid's columns and opens the next's; a
 * narrower grid widens its first column),
 * full-width text lines, right-aligned numeric columns, and colours applied
 * after the widths are measured on plain text.
 */
import { applyStyles, paint, type Style } from "./style.js"

export interface Cell {
  readonly text: string
  readonly style?: readonly Style[]
}

export type CellInput = string | Cell

export type BoxItem =
  | { readonly type: "text"; readonly text: string; readonly style?: readonly Style[] }
  | {
      readonly type: "grid"
      readonly header: readonly CellInput[]
      readonly rows: readonly (readonly CellInput[])[]
      /** Per column; default left. */
      readonly align?: readonly ("left" | "right")[]
    }

/** Display width: code points (the report uses no wide characters). */
export function width(text: string): number {
  return [...text].length
}

function cell(input: CellInput): Cell {
  return typeof input === "string" ? { text: input } : input
}

function pad(text: string, size: number, align: "left" | "right"): string {
  const fill = " ".repeat(Math.max(0, size - width(text)))
  return align === "right" ? fill + text : text + fill
}

interface Layout {
  readonly widths: number[]
  /** Positions of the column rules inside the box (0 = just after the left border). */
  readonly joints: number[]
}

function gridLayout(item: Extract<BoxItem, { type: "grid" }>, inner: number): Layout {
  const columns = Math.max(item.header.length, ...item.rows.map((r) => r.length))
  const widths = new Array<number>(columns).fill(0)
  for (const row of [item.header, ...item.rows]) row.forEach((c, i) => (widths[i] = Math.max(widths[i] as number, width(cell(c).text))))
  const natural = widths.reduce((a, b) => a + b, 0) + 3 * (columns - 1) + 2
  if (natural < inner) widths[0] = (widths[0] as number) + inner - natural
  const joints: number[] = []
  let position = 1
  for (let i = 0; i < columns - 1; i++) {
    position += (widths[i] as number) + 1
    joints.push(position)
    position += 2
  }
  return { widths, joints }
}

function naturalWidth(item: BoxItem): number {
  if (item.type === "text") return width(item.text) + 2
  return gridLayout(item, 0).widths.reduce((a, b) => a + b, 0) + 3 * (Math.max(item.header.length, ...item.rows.map((r) => r.length)) - 1) + 2
}

function rule(inner: number, above: readonly number[], below: readonly number[]): string {
  const chars = new Array<string>(inner).fill("─")
  const a = new Set(above)
  const b = new Set(below)
  for (const j of new Set([...above, ...below])) chars[j] = a.has(j) && b.has(j) ? "┼" : a.has(j) ? "┴" : "┬"
  return `╟${chars.join("")}╢`
}

/** Renders one box; `color` turns the cells' styles on. */
export function renderBox(items: readonly BoxItem[], color: boolean): string {
  if (items.length === 0) return ""
  const p = paint(color)
  const inner = Math.max(...items.map(naturalWidth))
  const top = new Array<string>(inner).fill("═")
  const firstItem = items[0] as BoxItem
  if (firstItem.type === "grid") for (const j of gridLayout(firstItem, inner).joints) top[j] = "╤"
  const lines: string[] = [`╔${top.join("")}╗`]
  let previous: number[] | undefined
  let previousType: BoxItem["type"] | undefined
  for (const item of items) {
    if (item.type === "text") {
      if (previousType === "grid") lines.push(rule(inner, previous ?? [], []))
      lines.push(`║ ${applyStyles(p, item.style, item.text)}${" ".repeat(inner - 2 - width(item.text))} ║`)
      previous = []
      previousType = "text"
      continue
    }
    const layout = gridLayout(item, inner)
    const row = (cells: readonly CellInput[], header: boolean): string => {
      const parts = layout.widths.map((w, i) => {
        const c = cell(cells[i] ?? "")
        const align = header ? "left" : (item.align?.[i] ?? "left")
        const padded = pad(c.text, w, align)
        const fill = padded.length - c.text.length
        const styles = c.style ?? (header ? (["yellow"] as const) : undefined)
        return align === "right" ? padded.slice(0, fill) + applyStyles(p, styles, c.text) : applyStyles(p, styles, c.text) + padded.slice(c.text.length)
      })
      return `║ ${parts.join(" │ ")} ║`
    }
    if (previousType !== undefined) lines.push(rule(inner, previous ?? [], layout.joints))
    lines.push(row(item.header, true))
    if (item.rows.length > 0) {
      lines.push(rule(inner, layout.joints, layout.joints))
      for (const r of item.rows) lines.push(row(r, false))
    }
    previous = layout.joints
    previousType = "grid"
  }
  const bottom = new Array<string>(inner).fill("═")
  for (const j of previous ?? []) bottom[j] = "╧"
  lines.push(`╚${bottom.join("")}╝`)
  return lines.join("\n")
}
