'use strict';

// A small real check of src/: no tabs, no trailing whitespace, no console.log (the
// server writes to stdout on purpose, not by leftover debugging).
const fs = require('node:fs');
const path = require('node:path');

const RULES = [
  { pattern: /\t/, message: 'tab character' },
  { pattern: /[ \t]+$/, message: 'trailing whitespace' },
  { pattern: /\bconsole\.log\(/, message: 'console.log left in' },
];

function sourceFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.js') ? [full] : [];
  });
}

const problems = [];
for (const file of sourceFiles(path.join(__dirname, 'src'))) {
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, index) => {
      for (const rule of RULES) {
        if (rule.pattern.test(line)) problems.push(`${path.relative(__dirname, file)}:${index + 1}: ${rule.message}`);
      }
    });
}

for (const problem of problems) process.stderr.write(`${problem}\n`);
process.stdout.write(`lint: ${problems.length} problem(s)\n`);
process.exitCode = problems.length > 0 ? 1 : 0;
