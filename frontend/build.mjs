// Builds the panel into ONE committed ES module: custom_components/spinstack/frontend/spinstack-panel.js.
//
//   node build.mjs            write the bundle
//   node build.mjs --verify   build in memory and fail if the committed bundle differs (what `make test` runs)
//   node build.mjs --outfile=PATH   write the bundle somewhere else
//
// The output is deterministic: no timestamps, no source maps, no comments but the licence notices, and paths never reach the bundle.
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const committed = resolve(here, "../custom_components/spinstack/frontend/spinstack-panel.js");
const args = process.argv.slice(2);
const verify = args.includes("--verify");
const outArg = args.find((a) => a.startsWith("--outfile="));
const outfile = outArg ? resolve(outArg.slice("--outfile=".length)) : committed;

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
  entryPoints: ["src/spinstack-panel.ts"],
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
  outfile,
});
const code = result.outputFiles[0].contents;
const size = `${code.length} bytes, ${gzipSync(code, { level: 9 }).length} bytes gzipped`;

if (verify) {
  let current;
  try {
    current = await readFile(committed);
  } catch {
    console.error(`missing ${committed}: run \`npm run build\` and commit it`);
    process.exit(1);
  }
  if (!Buffer.from(code).equals(current)) {
    console.error(`${committed} differs from a fresh build (${size}): run \`npm run build\` and commit it`);
    process.exit(1);
  }
  console.log(`bundle is up to date (${size})`);
} else {
  await mkdir(dirname(outfile), { recursive: true });
  await writeFile(outfile, code);
  console.log(`wrote ${outfile} (${size})`);
}
