// Bundles the panel, with its Markdown renderer, sanitizer and highlighter (no CDN, works
// offline), into the Python package: ../neo_notebook/static/widget.{js,css}.
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const outdir = fileURLToPath(new URL("../neo_notebook/static/", import.meta.url));
mkdirSync(outdir, { recursive: true });

await esbuild.build({
  absWorkingDir: fileURLToPath(new URL(".", import.meta.url)),
  entryPoints: { widget: "src/widget.ts" },
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
