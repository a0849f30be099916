import { serveStatic } from '/work/main/test/e2e/support/static-server.ts';
import { launchChromium } from '/work/main/test/e2e/support/browser.ts';
const pages = await serveStatic(8855, { '/': '/tmp/E/sb' });
const browser = await launchChromium();
const ids = ['menu-open', 'confirm-delete', 'deleting', 'deleted', 'delete-unavailable', 'download-failed', 'downloading', 'menu-open-german'];
try {
  for (const id of ids) {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`http://localhost:8855/iframe.html?id=privacy--${id}&viewMode=story`);
    await page.waitForTimeout(2500);
    const text = await page.evaluate(() => {
      const panel = document.querySelector('porthole-chat')?.shadowRoot?.querySelector('porthole-panel');
      const menu = panel?.shadowRoot?.querySelector('porthole-privacy-menu');
      const log = panel?.shadowRoot?.querySelector('[part="log"] [role="status"]')?.textContent ?? '';
      return `${(menu?.shadowRoot?.textContent ?? '').replace(/\s+/g, ' ').trim()} | log: ${log}`;
    });
    console.log(id, '→', text, errors.join(';'));
    await page.close();
  }
} finally {
  await browser.close();
  await pages.close();
}
