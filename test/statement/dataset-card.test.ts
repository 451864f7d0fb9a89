import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import {
  buildDatasetCardStatement,
  DATASET_CARD_V1,
  licenseProblem,
  parseDatasetCard,
  parseDatasetCardStatement,
  validateDatasetCard,
} from '../../src/statement/dataset-card.js';
import { validateStatement } from '../../src/statement/in-toto.js';
import type { Statement } from '../../src/statement/statement.js';
import { errorOf } from '../support/errors.js';

const SHA256 = 'c'.repeat(64);

const CARD_YAML = `# A dataset card
name: tiny-wiki
version: "2026.01"
description: A small slice of an encyclopedia.
license: CC-BY-SA-4.0 AND (MIT OR Apache-2.0)
sources:
  - uri: https://dumps.example.org/wiki-20260101.xml.bz2
    digest:
      sha256: ${SHA256}
    retrieved: 2026-01-02
  - uri: https://api.example.org/articles
    retrieved: 2026-01-02T10:00:00Z
datasetType: [text, structured]
dataCollectionProcess: Monthly dump, articles only.
dataPreprocessing:
  - removed markup
  - deduplicated by exact match
hasSensitivePersonalInformation: noAssertion
knownBias:
  - over-represents English-language topics
intendedUse: Pre-training small language models.
`;

describe('parseDatasetCard', () => {
  it('reads a YAML card', () => {
    const card = parseDatasetCard(CARD_YAML, 'dataset-card.yaml');
    expect(card.name).toBe('tiny-wiki');
    expect(card.version).toBe('2026.01');
    expect(card.license).toBe('CC-BY-SA-4.0 AND (MIT OR Apache-2.0)');
    expect(card.sources).toEqual([
      { uri: 'https://dumps.example.org/wiki-20260101.xml.bz2', digest: { sha256: SHA256 }, retrieved: '2026-01-02' },
      { uri: 'https://api.example.org/articles', retrieved: '2026-01-02T10:00:00Z' },
    ]);
    expect(card.datasetType).toEqual(['text', 'structured']);
    expect(card.hasSensitivePersonalInformation).toBe('noAssertion');
  });

  it('reads the same card as JSON', () => {
    const json = JSON.stringify(parseDatasetCard(CARD_YAML, 'card.yaml'), null, '\t');
    expect(parseDatasetCard(json, 'card.json')).toEqual(parseDatasetCard(CARD_YAML, 'card.yaml'));
  });

  it('names an unknown field and its line', () => {
    const text = CARD_YAML.replace('intendedUse:', 'knownBais: [x]\nintendedUse:');
    const error = errorOf(() => parseDatasetCard(text, 'card.yaml'));
    expect(error).toBeInstanceOf(InputError);
    expect(error?.code).toBe('DATASET_CARD_INVALID');
    expect(error?.path).toBe('card.yaml');
    expect(error?.message).toMatch(/^card\.yaml:21:1: knownBais: unknown key "knownBais" \(did you mean "knownBias"\?\)$/);
  });

  it('names an unknown field nested in a source, with its line', () => {
    const text = CARD_YAML.replace('    retrieved: 2026-01-02\n', '    retrieved: 2026-01-02\n    checksum: abc\n');
    const error = errorOf(() => parseDatasetCard(text, 'card.yaml'));
    expect(error?.code).toBe('DATASET_CARD_INVALID');
    expect(error?.message).toMatch(/^card\.yaml:11:5: sources\[0\]\.checksum: unknown key "checksum" \(expected "uri", "digest", "retrieved"\)/);
  });

  it('gives the line of an unknown field in a JSON card', () => {
    const error = errorOf(() => parseDatasetCard('{\n  "name": "x",\n  "license": "MIT",\n  "datasetType": ["text"],\n  "size": 3\n}\n', 'card.json'));
    expect(error?.code).toBe('DATASET_CARD_INVALID');
    expect(error?.message).toMatch(/^card\.json:5:3: size: unknown key "size"/);
  });

  it('refuses an invalid license with LICENSE_INVALID and its line', () => {
    const error = errorOf(() => parseDatasetCard(CARD_YAML.replace('license: CC-BY-SA-4.0 AND (MIT OR Apache-2.0)', 'license: Apache 2'), 'card.yaml'));
    expect(error?.code).toBe('LICENSE_INVALID');
    expect(error?.message).toMatch(/^card\.yaml:5:1: license: "Apache 2" is not a valid SPDX license expression: unknown license identifier "Apache"/);
  });

  it('refuses a missing required field, pointing at the mapping that lacks it', () => {
    const error = errorOf(() => parseDatasetCard('name: x\nlicense: MIT\n', 'card.yaml'));
    expect(error?.code).toBe('DATASET_CARD_INVALID');
    expect(error?.message).toBe('card.yaml:1:1: datasetType: is required');
  });

  it('asks for quotes around a version YAML reads as a number', () => {
    const error = errorOf(() => parseDatasetCard(CARD_YAML.replace('version: "2026.01"', 'version: 1.10'), 'card.yaml'));
    expect(error?.code).toBe('DATASET_CARD_INVALID');
    expect(error?.message).toContain('card.yaml:3:1: version: must be a string: quote it');
  });

  it.each([
    ['a dataset type outside SPDX 3', 'datasetType: [text, prose]', 'card.yaml:13:21: datasetType[1]'],
    ['a presence that is a YAML boolean', 'hasSensitivePersonalInformation: true', 'card.yaml:18:1: hasSensitivePersonalInformation'],
    ['a source without a URI scheme', '  - uri: dumps/wiki.xml', 'card.yaml:7:5: sources[0].uri'],
  ])('refuses %s', (_name, line, where) => {
    const key = line.trim().split(':')[0] ?? '';
    const text = CARD_YAML.split('\n').map((original) => (original.trim().startsWith(key) ? line : original)).join('\n');
    const error = errorOf(() => parseDatasetCard(text, 'card.yaml'));
    expect(error?.code).toBe('DATASET_CARD_INVALID');
    expect(error?.message).toContain(where);
  });

  it('refuses a source digest that is not a digest, with DIGEST_INVALID', () => {
    const error = errorOf(() => parseDatasetCard(CARD_YAML.replace(`sha256: ${SHA256}`, 'sha256: abc'), 'card.yaml'));
    expect(error?.code).toBe('DIGEST_INVALID');
    expect(error?.message).toContain('card.yaml:9:7: sources[0].digest.sha256');
  });

  it('refuses duplicate keys in YAML and in JSON: a reader could believe either', () => {
    expect(errorOf(() => parseDatasetCard(`${CARD_YAML}license: MIT\n`, 'card.yaml'))?.code).toBe('DATASET_CARD_INVALID');
    const error = errorOf(() => parseDatasetCard('{"name": "x", "license": "MIT", "license": "GPL-3.0-only", "datasetType": ["text"]}', 'card.json'));
    expect(error?.code).toBe('DATASET_CARD_INVALID');
    expect(error?.message).toMatch(/^card\.json:1:\d+:/);
  });

  it('reports YAML syntax errors with their line', () => {
    const error = errorOf(() => parseDatasetCard('name: x\nsources: [a, b\nlicense: MIT\n', 'card.yaml'));
    expect(error?.code).toBe('DATASET_CARD_INVALID');
    expect(error?.message).toMatch(/^card\.yaml:\d+:\d+: /);
    expect(error?.message).not.toContain('\n');
  });

  it('refuses YAML in a .json file', () => {
    expect(errorOf(() => parseDatasetCard(CARD_YAML, 'card.json'))?.code).toBe('DATASET_CARD_INVALID');
  });

  it('refuses a document that is not a mapping', () => {
    expect(errorOf(() => parseDatasetCard('- a\n- b\n', 'card.yaml'))?.code).toBe('DATASET_CARD_INVALID');
    expect(errorOf(() => parseDatasetCard('', 'card.yaml'))?.code).toBe('DATASET_CARD_INVALID');
  });

  it('refuses a card larger than the bound before parsing it', () => {
    const error = errorOf(() => parseDatasetCard(`description: "${'x'.repeat(1024 * 1024)}"\n`, 'card.yaml'));
    expect(error?.code).toBe('DATASET_CARD_INVALID');
  });
});

describe('licenseProblem', () => {
  it.each(['MIT', 'Apache-2.0', 'CC-BY-4.0 AND (MIT OR Apache-2.0)', 'GPL-2.0-or-later WITH Classpath-exception-2.0', 'LicenseRef-my-terms', 'GPL-2.0+', 'NOASSERTION', 'NONE'])(
    'accepts %s',
    (expression) => {
      expect(licenseProblem(expression)).toBeUndefined();
    },
  );

  it.each([
    ['apache-2.0', 'did you mean "Apache-2.0"?'],
    ['MIT OR', 'not a valid SPDX license expression'],
    ['Apache 2', 'unknown license identifier "Apache"'],
    ['', 'not a valid SPDX license expression'],
    ['MIT WITH Not-An-Exception', 'not a valid SPDX license expression'],
  ])('refuses %j', (expression, reason) => {
    expect(licenseProblem(expression)).toContain(reason);
  });
});

describe('dataset card statements', () => {
  it('builds a statement about the dataset root digest that reads back', () => {
    const card = parseDatasetCard(CARD_YAML, 'card.yaml');
    const statement = buildDatasetCardStatement(card, { name: 'tiny-wiki', rootDigest: SHA256 });
    const asStatement: Statement = statement;
    expect(asStatement.predicateType).toBe(DATASET_CARD_V1);
    expect(statement.subject).toEqual([{ name: 'tiny-wiki', digest: { sha256: SHA256 } }]);
    validateStatement(JSON.parse(JSON.stringify(statement)));
    const parsed = parseDatasetCardStatement(JSON.parse(JSON.stringify(statement)));
    expect(parsed.dataset).toEqual({ name: 'tiny-wiki', rootDigest: SHA256 });
    expect(parsed.card).toEqual(card);
  });

  it('refuses to build a statement for an invalid card or digest', () => {
    expect(errorOf(() => buildDatasetCardStatement({ name: 'x', license: 'Apache 2', datasetType: ['text'] }, { name: 'x', rootDigest: SHA256 }))?.code).toBe('LICENSE_INVALID');
    expect(errorOf(() => buildDatasetCardStatement({ name: 'x', license: 'MIT', datasetType: ['text'] }, { name: 'x', rootDigest: 'abc' }))?.code).toBe('DIGEST_INVALID');
  });

  it('refuses a signed card with an unknown field, naming it inside the predicate', () => {
    const statement = JSON.parse(JSON.stringify(buildDatasetCardStatement({ name: 'x', license: 'MIT', datasetType: ['text'] }, { name: 'x', rootDigest: SHA256 }))) as { predicate: Record<string, unknown> };
    statement.predicate.extra = true;
    const error = errorOf(() => parseDatasetCardStatement(statement));
    expect(error?.code).toBe('DATASET_CARD_INVALID');
    expect(error?.message).toContain('predicate.extra: unknown key "extra"');
  });

  it('refuses a card statement for two datasets, or in the legacy statement type', () => {
    const built = buildDatasetCardStatement({ name: 'x', license: 'MIT', datasetType: ['text'] }, { name: 'x', rootDigest: SHA256 });
    const twoSubjects = { ...built, subject: [...built.subject, { name: 'y', digest: { sha256: SHA256 } }] };
    expect(errorOf(() => parseDatasetCardStatement(twoSubjects))?.code).toBe('DATASET_CARD_INVALID');
    expect(errorOf(() => parseDatasetCardStatement({ ...built, _type: 'https://in-toto.io/Statement/v0.1' }))?.code).toBe('STATEMENT_INVALID_TYPE');
    expect(errorOf(() => parseDatasetCardStatement({ ...built, predicateType: 'https://slsa.dev/provenance/v1' }))?.code).toBe('UNSUPPORTED_PREDICATE_TYPE');
  });

  it('validates a card object without a file', () => {
    expect(errorOf(() => validateDatasetCard({ name: 'x', license: 'MIT', datasetType: [] }))?.message).toContain('datasetType');
  });
});
