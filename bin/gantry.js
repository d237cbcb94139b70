#!/usr/bin/env node
'use strict';
// The CLI is compiled by `npm run build` (run by `npm install` through `prepare`).
let main;
try {
  main = require('../dist/cli/main.js').main;
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND') {
    process.stderr.write('gantry: the CLI is not built yet; run `npm install` (or `npm run build`) first.\n');
    process.exit(2);
  }
  throw err;
}
main(process.argv).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`gantry: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  },
);
