// check-geojson.mjs validates every .json file under a folder with an
// outside GeoJSON validator (@placemarkio/check-geojson, pinned in
// package.json), so our own code is not the judge of our own answers.
// The backend tests write the map API's answers there when
// SHAOBAO_GEOJSON_OUT is set:
//
//	node web/map/check-geojson.mjs "$SHAOBAO_GEOJSON_OUT"
//
// It exits 1 on any issue, and on a folder without a .json file (a run
// that wrote nothing checked nothing); 2 on a usage error.
import { getIssues } from '@placemarkio/check-geojson';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir || process.argv.length > 3) {
  console.error('usage: node check-geojson.mjs FOLDER');
  process.exit(2);
}
if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
  console.error(`check-geojson: ${dir} is not a folder`);
  process.exit(2);
}

function jsonFiles(d) {
  return readdirSync(d, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((e) => (e.isDirectory() ? jsonFiles(join(d, e.name)) : e.name.endsWith('.json') ? [join(d, e.name)] : []));
}

// position turns an offset into line:column for the message.
function position(text, offset) {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before.at(-1).length + 1}`;
}

const files = jsonFiles(dir);
if (!files.length) {
  console.error(`check-geojson: no .json file in ${dir}`);
  process.exit(1);
}
let bad = 0;
for (const f of files) {
  const text = readFileSync(f, 'utf8');
  const issues = getIssues(text);
  if (!issues.length) continue;
  bad++;
  for (const i of issues) console.error(`${f}:${position(text, i.from)}: ${i.message}`);
}
console.log(`check-geojson: ${files.length - bad} of ${files.length} files valid GeoJSON`);
process.exit(bad ? 1 : 0);
