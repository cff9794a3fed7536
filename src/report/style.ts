/**
 * Terminal colours: whether to use them (a TTY, and NO_COLOR unset or empty,
 * as https://no-color.org asks) and plain ANSI helpers that return the text
 * unchanged when colours are off. Widths are always measured on plain text,
 * before painting.
 */

export interface Paint {
  readonly bold: (text: string) => string
  readonly dim: (text: string) => string
  readonly red: (text: string) => string
  readonly green: (text: string) => string
  readonly yellow: (text: string) => string
  readonly cyan: (text: string) => string
  readonly magenta: (text: string) => string
}

export type Style = keyof Paint

const CODES: Readonly<Record<Style, readonly [number, number]>> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
  magenta: [35, 39],
}

export function paint(color: boolean): Paint {
  const make =
    (style: Style) =>
    (text: string): string => {
      if (!color || text.length === 0) return text
      const [open, close] = CODES[style]
      return `\u001b[${open}m${text}\u001b[${close}m`
    }
  return { bold: make("bold"), dim: make("dim"), red: make("red"), green: make("green"), yellow: make("yellow"), cyan: make("cyan"), magenta: make("magenta") }
}

/** Applies several styles, innermost first. */
export function applyStyles(p: Paint, styles: readonly Style[] | undefined, text: string): string {
  return (styles ?? []).reduce((t, s) => p[s](t), text)
}

/** True when `stream` is a terminal and NO_COLOR is unset or empty. */
export function shouldUseColor(stream: { readonly isTTY?: boolean }, env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  const noColor = env["NO_COLOR"]
  return stream.isTTY === true && (noColor === undefined || noColor === "")
}

/** Removes ANSI colour codes (for widths and for tests). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, "")
}
