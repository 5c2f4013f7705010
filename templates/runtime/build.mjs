// Build the page runtime (templates/runtime/runtime.js) with terser: `make js` runs
// `node templates/runtime/build.mjs`; `node templates/runtime/build.mjs OUTDIR` writes to OUTDIR instead (the
// test that the committed build is fresh compares the two). See docs/runtime.md.
//
// Writes:
//   tiktok_pixel.js           the no-inline runtime (every setting read from the payload);
//   tiktok_pixel.inline.json  {"PAYLOAD": placeholder, "programs": {key: text}}: one inline
//                             program per configuration, `text` containing the placeholder once
//                             where the payload goes. `key` names the flags set, joined by "+"
//                             in the order of FLAGS ("" for the default configuration).
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { minify } from "terser";

const here = dirname(fileURLToPath(import.meta.url));
const outDir = process.argv[2] || join(here, "..", "..", "static");
const source = readFileSync(join(here, "runtime.js"), "utf8");

// Flag names as the keys use them, and the constant each sets (runtime.js documents them).
const FLAGS = [
  ["existing", "EXISTING"],
  ["several", "SEVERAL"],
  ["hold", "HOLD"],
  ["nopage", "PAGE", false],
  ["options", "OPTIONS"],
  ["sdk", "CUSTOM_SDK"],
];
// Use-existing-pixel mode loads nothing: page, options and the SDK URL cannot matter there.
const LOADER_ONLY = new Set(["nopage", "options", "sdk"]);
const PLACEHOLDER = "__TIKTOK_PIXEL_PAYLOAD__";

async function build(defines, preamble) {
  const result = await minify(source, {
    ecma: 2017,
    enclose: true,
    compress: { global_defs: defines, passes: 3 },
    mangle: true,
    format: { preamble, ascii_only: true },
  });
  return result.code;
}

function variants() {
  const keys = [[]];
  for (const [flag] of FLAGS) {
    for (const key of keys.splice(0)) keys.push(key, [...key, flag]);
  }
  return keys.filter((key) => !(key.includes("existing") && key.some((f) => LOADER_ONLY.has(f))));
}

const programs = {};
for (const key of variants()) {
  const defines = { INLINE: true, "@PAYLOAD": PLACEHOLDER };
  for (const [flag, constant, whenSet = true] of FLAGS) {
    defines[constant] = key.includes(flag) ? whenSet : !whenSet;
  }
  const code = (await build(defines)).replace(/;$/, "");
  const count = code.split(PLACEHOLDER).length - 1;
  if (count !== 1) {
    throw new Error(`inline program ${key.join("+")}: ${PLACEHOLDER} ${count} times, not once`);
  }
  // The payload must stand where a JSON object is an expression: the program parses with one.
  new Function(code.replace(PLACEHOLDER, '{"pixels":[],"calls":[]}'));
  programs[key.join("+")] = code;
}

const defaults = Object.fromEntries(FLAGS.map(([, constant]) => [constant, false]));
const staticScript = await build(
  { ...defaults, INLINE: false },
  "/* tiktok-pixel no-inline runtime, built from templates/runtime/runtime.js by `make js`; do not edit.\n" +
    "   Runs each <script type=\"application/json\" data-tiktok-pixel> block once on window.ttq. */",
);

writeFileSync(join(outDir, "tiktok_pixel.js"), staticScript + "\n");
writeFileSync(
  join(outDir, "tiktok_pixel.inline.json"),
  JSON.stringify({ PAYLOAD: PLACEHOLDER, programs }, null, 1) + "\n",
);
