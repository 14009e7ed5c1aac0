import type { Metadata } from "next";
import localFont from "next/font/local";
import { connection } from "next/server";
import { Providers } from "@/components/shell/providers";
import "./globals.css";

const inter = localFont({
  src: "../node_modules/@fontsource-variable/inter/files/inter-latin-wght-normal.woff2",
  variable: "--font-inter",
  display: "swap",
});

export const metadata: Metadata = {
  title: { default: "Modelpin", template: "%s · Modelpin" },
  description: "Control which Nyckel model version serves each environment.",
  // public/: the pin mark (SVG) and its 180×180 touch icon (scripts/render-icons.ts).
  icons: { icon: [{ url: "/icon.svg", type: "image/svg+xml" }], apple: [{ url: "/apple-touch-icon.png", sizes: "180x180" }] },
  // An internal tool: public/robots.txt disallows everything, and every page says noindex too.
  robots: { index: false, follow: false },
};

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  // Every page renders per request: its scripts carry this request's CSP nonce (proxy.ts).
  await connection();
  return (
    <html lang="en" className={inter.variable}>
      <body className="min-h-screen font-sans">
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
