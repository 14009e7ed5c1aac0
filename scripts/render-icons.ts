/**
 * One-off: renders public/apple-touch-icon.png (180×180) from public/icon.svg in
 * Debian's Chromium (CHROMIUM_PATH overrides /usr/bin/chromium):
 *
 *   npx tsx scripts/render-icons.ts
 *
 * The PNG is committed; run this again only after changing the SVG. iOS shows a
 * transparent touch icon on black, so the pin sits white on a full-bleed indigo
 * square (iOS rounds the corners itself).
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { launchChromium } from "./bench/app";
import { exitWithMain } from "./cli/args";

const SIZE = 180;

async function main(): Promise<number> {
  const svg = readFileSync(path.resolve("public/icon.svg"), "utf8")
    // The touch icon inverts the mark: a white pin with an indigo head.
    .replace('fill="#4f46e5"', 'fill="#ffffff"')
    .replace('fill="#fff"', 'fill="#4f46e5"');
  const html = `<!doctype html><html><body style="margin:0;background:#4f46e5">
    <div style="width:${SIZE}px;height:${SIZE}px;display:flex;align-items:center;justify-content:center">
      <img alt="" width="120" height="120" src="data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}">
    </div></body></html>`;
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: SIZE, height: SIZE }, deviceScaleFactor: 1 });
    await page.setContent(html);
    await page.locator("img").evaluate((img: HTMLImageElement) => img.decode());
    const png = await page.screenshot({ type: "png", clip: { x: 0, y: 0, width: SIZE, height: SIZE } });
    writeFileSync(path.resolve("public/apple-touch-icon.png"), png);
    console.log(`wrote public/apple-touch-icon.png (${png.length} bytes)`);
    return 0;
  } finally {
    await browser.close();
  }
}

exitWithMain(main);
