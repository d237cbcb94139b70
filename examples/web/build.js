'use strict';

// Copies src/ into dist/ (or the directory given as the first argument) and records the
// version being built and the behaviour it selects (see src/behaviour.js: 1.2.0-bad
// fails on purpose, 1.2.0-slow is slow). The output depends only on the sources and
// $GANTRY_VERSION (no timestamps), so the same commit built twice packs into the same
// artifact digest.
const fs = require('node:fs');
const path = require('node:path');
const { behaviourFor, describeBehaviour } = require('./src/behaviour');

const version = process.env.GANTRY_VERSION || '0.0.0-dev';
const behaviour = behaviourFor(version);
const src = path.join(__dirname, 'src');
const dist = process.argv[2] ? path.resolve(process.argv[2]) : path.join(__dirname, 'dist');

fs.rmSync(dist, { recursive: true, force: true });
fs.cpSync(src, dist, { recursive: true });
fs.writeFileSync(path.join(dist, 'version.json'), `${JSON.stringify({ version, behaviour }, null, 2)}\n`);
process.stdout.write(`built web ${version} into ${path.relative(process.cwd(), dist) || '.'} (${describeBehaviour(behaviour)})\n`);
