// Builds the panel into committed ES modules in custom_components/spinstack/frontend/ (one today):
//   spinstack-panel.js    the panel (the element, Lit, ECharts), one self-contained module.
//
//   node build.mjs              write them
//   node build.mjs --verify     build in memory and fail if a committed file differs (what `make test` runs)
//   node build.mjs --outdir=DIR write them somewhere else
//
// The output is deterministic: no timestamps, no source maps, no comments but the licence notices, and paths never reach the bundle.
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const committed = resolve(here, "../custom_components/spinstack/frontend");
const args = process.argv.slice(2);
const verify = args.includes("--verify");
const outArg = args.find((a) => a.startsWith("--outdir="));
const outdir = outArg ? resolve(outArg.slice("--outdir=".length)) : committed;

// CSS files are imported as text, minified by esbuild's own CSS minifier.
const cssAsMinifiedText = {
  name: "css-as-minified-text",
  setup(build) {
    build.onLoad({ filter: /\.css$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      const { code } = await esbuild.transform(source, { loader: "css", minify: true, legalComments: "none" });
      return { contents: code.trim(), loader: "text" };
    });
  },
};

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: { "spinstack-panel": "src/spinstack-panel.ts" },
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  platform: "browser",
  // Lit's and ECharts' licence notices travel with the bundle, at its end.
  legalComments: "eof",
  charset: "utf8",
  sourcemap: false,
  metafile: false,
  define: { "process.env.NODE_ENV": '"production"' },
  plugins: [cssAsMinifiedText],
  logLevel: "warning",
  write: false,
  outdir,
});

let stale = false;
for (const file of result.outputFiles.sort((a, b) => a.path.localeCompare(b.path))) {
  const code = file.contents;
  const name = basename(file.path);
  const size = `${code.length} bytes, ${gzipSync(code, { level: 9 }).length} bytes gzipped`;
  if (verify) {
    const path = resolve(committed, name);
    let current;
    try {
      current = await readFile(path);
    } catch {
      console.error(`missing ${path}: run \`npm run build\` and commit it`);
      stale = true;
      continue;
    }
    if (!Buffer.from(code).equals(current)) {
      console.error(`${path} differs from a fresh build (${size}): run \`npm run build\` and commit it`);
      stale = true;
      continue;
    }
    console.log(`${name} is up to date (${size})`);
  } else {
    await mkdir(outdir, { recursive: true });
    await writeFile(file.path, code);
    console.log(`wrote ${file.path} (${size})`);
  }
}
if (stale) process.exit(1);
