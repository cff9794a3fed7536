/**
 * Number and list formatting shared by the renderers, so that the terminal,
 * Markdown and HTML reports write the same figure the same way: rates as
 * percentages, gas with thousands separators, speedups as "3.42×", and long
 * lists cut to a few items with "and N more".
 */

/** A rate in 0..1 as a percentage: "0%", "<0.1%", "4.2%", "62%", ">99.9%", "100%". */
export function percent(rate: number): string {
  if (!Number.isFinite(rate)) return "n/a"
  const p = rate * 100
  if (p === 0) return "0%"
  if (p > 0 && p < 0.1) return "<0.1%"
  if (p < 100 && p >= 99.95) return ">99.9%"
  if (p < 10) return `${trimZero(p.toFixed(1))}%`
  if (p < 100 && Math.round(p) === 100) return `${p.toFixed(1)}%`
  return `${Math.round(p)}%`
}

function trimZero(text: string): string {
  return text.endsWith(".0") ? text.slice(0, -2) : text
}

/** A whole number with thousands separators: 5,432,100. */
export function integer(value: number): string {
  return Math.round(value).toLocaleString("en-US")
}

/** A speedup factor: "3.42×". */
export function speedup(value: number): string {
  if (!Number.isFinite(value)) return "n/a"
  return `${value.toFixed(2)}×`
}

/** Milliseconds: "12.3 ms", "1.25 s". */
export function duration(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`
}

/** "a, b, c and 2 more" (at most `max` items named). */
export function shortList(items: readonly string[], max = 3): string {
  if (items.length === 0) return ""
  if (items.length <= max) return items.join(", ")
  return `${items.slice(0, max).join(", ")} and ${items.length - max} more`
}

/** "1 transaction", "2 transactions". */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${integer(count)} ${count === 1 ? noun : pluralNoun}`
}

/** Wraps text to `width` columns (at spaces), indenting continuation lines. */
export function wrap(text: string, width: number, indent = ""): string[] {
  const lines: string[] = []
  let line = ""
  for (const word of text.split(/\s+/).filter((w) => w.length > 0)) {
    if (line.length > 0 && [...line].length + 1 + [...word].length > width) {
      lines.push(line)
      line = indent + word
    } else {
      line = line.length === 0 ? (lines.length === 0 ? word : indent + word) : `${line} ${word}`
    }
  }
  if (line.length > 0) lines.push(line)
  return lines
}
