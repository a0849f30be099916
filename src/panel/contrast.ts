// The accent contrast check (issue 12): a site that sets `--porthole-accent` without a matching
// `--porthole-on-accent` (a yellow accent under the default white text is 1.42:1) is told so in the
// console, once per element and colour pair. A lazy chunk: the panel loads it only when the send
// button's colours are not the defaults (see `DEFAULT_ACCENT_PAIR` in porthole-panel.ts).

/** WCAG 2 AA's minimum contrast for normal text. */
export const MIN_CONTRAST = 4.5;

/** The colour pairs already reported, per element. */
const reported = new WeakMap<object, Set<string>>();

let canvas: CanvasRenderingContext2D | null | undefined;

/**
 * The sRGB channels (0–255) of a CSS colour, whatever its syntax (`rgb()`, `oklch()`, `color()`,
 * `color-mix()`…): a 1×1 canvas paints it and reads the pixel back. Alpha is ignored.
 */
export function srgb(color: string): [number, number, number] {
  canvas ??= Object.assign(document.createElement('canvas'), { width: 1, height: 1 }).getContext('2d', { willReadFrequently: true });
  if (!canvas) return [0, 0, 0];
  canvas.clearRect(0, 0, 1, 1);
  canvas.fillStyle = '#000';
  canvas.fillStyle = color;
  canvas.fillRect(0, 0, 1, 1);
  const [r, g, b] = canvas.getImageData(0, 0, 1, 1).data;
  return [r, g, b];
}

/** WCAG 2 relative luminance of sRGB channels (0–255). */
export function luminance(rgb: readonly number[]): number {
  const [r, g, b] = rgb.map((v) => ((v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio of two colours (1 to 21), in either order. */
export function contrastRatio(a: readonly number[], b: readonly number[]): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * Warns in the console when `el`'s text colour on its background (the send button: the
 * on-accent on the accent) is below 4.5:1, once per `owner` and colour pair. Returns the ratio.
 */
export function checkAccentContrast(owner: object, el: Element): number {
  const { color, backgroundColor } = getComputedStyle(el);
  const ratio = contrastRatio(srgb(color), srgb(backgroundColor));
  const seen = reported.get(owner) ?? new Set<string>();
  reported.set(owner, seen);
  const pair = `${color} on ${backgroundColor}`;
  if (ratio < MIN_CONTRAST && !seen.has(pair)) {
    seen.add(pair);
    const black = contrastRatio(srgb(backgroundColor), [0, 0, 0]);
    const white = contrastRatio(srgb(backgroundColor), [255, 255, 255]);
    console.warn(
      `<porthole-chat>: --porthole-on-accent (${color}) on --porthole-accent (${backgroundColor}) has a contrast of ` +
        `${ratio.toFixed(2)}:1, expected at least ${MIN_CONTRAST}:1 (WCAG AA); set --porthole-on-accent to a colour that ` +
        `contrasts with the accent, e.g. ${black > white ? `#000 (${black.toFixed(2)}:1)` : `#fff (${white.toFixed(2)}:1)`}`,
    );
  }
  return ratio;
}
