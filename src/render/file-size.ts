/** A byte count as people read it: `532 B`, `48 KB`, `1.2 MB`, `14 MB` (1 KB = 1024 B, as file managers show it). */
export function humanSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return `${u && n < 10 ? Math.round(n * 10) / 10 : Math.round(n)} ${units[u]}`;
}
