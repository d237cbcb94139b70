'use strict';

// Copies src/ into dist/ and records the version being built. The output depends only
// on the sources and $GANTRY_VERSION (no timestamps), so the same commit built twice
// packs into the same artifact digest.
const fs = require('node:fs');
const path = require('node:path');

const version = process.env.GANTRY_VERSION || '0.0.0-dev';
const src = path.join(__dirname, 'src');
const dist = path.join(__dirname, 'dist');

fs.rmSync(dist, { recursive: true, force: true });
fs.cpSync(src, dist, { recursive: true });
fs.writeFileSync(path.join(dist, 'version.json'), `${JSON.stringify({ version }, null, 2)}\n`);
process.stdout.write(`built web ${version} into dist/\n`);
