#!/usr/bin/env node
// Prints the `name@version` of sharp's prebuilt binary packages for this platform (the libvips
// library and sharp's addon). `npm ci --omit=optional` leaves them out, being optional
// dependencies of sharp; the image installs exactly these afterwards, so it can decode JPEGs.
const { readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

// sharp's exports hide its package.json from require(); it sits one level above its main file.
const sharp = JSON.parse(readFileSync(join(dirname(require.resolve('sharp')), '..', 'package.json'), 'utf8'));
const platform = `${process.platform}${process.platform === 'linux' && !process.report.getReport().header.glibcVersionRuntime ? 'musl' : ''}-${process.arch}`;
const wanted = Object.entries(sharp.optionalDependencies ?? {}).filter(([name]) => name.endsWith(`-${platform}`));
if (wanted.length === 0) {
  console.error(`sharp ${sharp.version} has no prebuilt binaries for ${platform}`);
  process.exit(1);
}
console.log(wanted.map(([name, version]) => `${name}@${version}`).join(' '));
