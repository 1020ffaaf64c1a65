// Bundles the chat panel and the inbox, each with the Markdown renderer, sanitizer and
// highlighter it uses (no CDN, works offline), into the Python package:
// ../neo_notebook/static/{widget,inbox}.{js,css}. Each entry is a single file anywidget loads
// on its own, so shared modules are bundled into both.
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const outdir = fileURLToPath(new URL("../neo_notebook/static/", import.meta.url));
mkdirSync(outdir, { recursive: true });

await esbuild.build({
  absWorkingDir: fileURLToPath(new URL(".", import.meta.url)),
  entryPoints: { widget: "src/widget.ts", inbox: "src/inbox.ts" },
  outdir,
  bundle: true,
  format: "esm",
  target: "es2020",
  minify: true,
  // Notices of the bundled libraries; DOMPurify adds its own at the end.
  banner: {
    js: "/*! neo-notebook-widget. Bundles marked (MIT), highlight.js (BSD-3-Clause) and DOMPurify (Apache-2.0 OR MPL-2.0). */",
  },
  legalComments: "eof",
  logLevel: "warning",
});
