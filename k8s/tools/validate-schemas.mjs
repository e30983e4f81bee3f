// Offline schema check of the manifests in k8s/, with the OpenAPI schemas that the npm package
// kubernetes-models ships. kubectl cannot do this without an API server (see ../README.md).
//
//   npm install --prefix /tmp/k8s-check kubernetes-models@5.1.0 yaml@2
//   node k8s/tools/validate-schemas.mjs /tmp/k8s-check k8s/*.yaml
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [modulesDir, ...files] = process.argv.slice(2);
if (!modulesDir || files.length === 0) {
  console.error('usage: validate-schemas.mjs <dir with node_modules> <manifest.yaml>...');
  process.exit(2);
}
// kubernetes-models is ESM-only with an exports map: import its files by path
const lib = (p) => import(pathToFileURL(path.join(path.resolve(modulesDir), 'node_modules', p)).href);
const { parseAllDocuments } = await lib('yaml/dist/index.js');

let failed = 0;
let checked = 0;
for (const file of files) {
  for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
    const obj = doc.toJS();
    if (!obj) continue;
    const group = obj.apiVersion.includes('/') ? obj.apiVersion : `v1`;
    const name = `${obj.kind} ${obj.metadata?.name}`;
    let Model;
    try {
      Model = (await lib(`kubernetes-models/${group}/${obj.kind}.js`))[obj.kind];
    } catch (e) {
      failed++;
      console.log(`FAIL ${file}: ${name}: no schema for ${obj.apiVersion} ${obj.kind}`);
      continue;
    }
    try {
      new Model(obj).validate();
      checked++;
      console.log(`ok   ${file}: ${name}`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${file}: ${name}: ${e.message}`);
    }
  }
}
console.log(`${checked} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
