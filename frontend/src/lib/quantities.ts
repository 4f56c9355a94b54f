/** Kubernetes quantities ("500m", "512Mi", "1.5G") read into numbers, and checked. */

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18
};
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$/;

/** The quantity's value in base units (cores, bytes), or NaN when it is not a quantity. */
export function parseQuantity(text: string | number | null | undefined): number {
  if (typeof text === "number") return text;
  const match = QUANTITY.exec((text ?? "").trim());
  if (!match) return Number.NaN;
  const [, number, exponent, suffix = ""] = match;
  const base = Number(number);
  if (exponent) return base * 10 ** Number(exponent.slice(1));
  return base * (BINARY[suffix] ?? DECIMAL[suffix]);
}

export function isQuantity(text: string): boolean {
  return !Number.isNaN(parseQuantity(text)) && parseQuantity(text) >= 0;
}
