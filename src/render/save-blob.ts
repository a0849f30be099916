/** How long a download's `blob:` URL lives after its click (Firefox and Safari read it after `click()` returns). */
export const DOWNLOAD_REVOKE_DELAY = 40_000;

/**
 * Saves `blob` as a download named `filename`, the way a download link would: a `blob:` object
 * URL clicked on a detached `<a download>` and revoked {@link DOWNLOAD_REVOKE_DELAY} later.
 */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), DOWNLOAD_REVOKE_DELAY);
}
