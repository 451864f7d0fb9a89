import { createHash } from 'node:crypto';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InputError } from '../../src/errors.js';
import { bomRefFor, buildMlBom, ML_BOM_PROPERTIES, type BuildMlBomOptions } from '../../src/lineage/bom.js';
import type { LineageNode, LineageResult, LineageVerdict, PolicySigner } from '../../src/lineage/types.js';
import { errorOf } from '../support/errors.js';

// ---------------------------------------------------------------------------------------------
// A realistic lineage: acme/support-assistant-1b, fine-tuned on two datasets with a recipe, on
// top of a base model that was signed by its publisher's release workflow.
// ---------------------------------------------------------------------------------------------

const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
const DATASET_CARD_V1 = 'https://aiprov.dev/dataset/v1';
const TRAINING_BUILD_TYPE = 'https://aiprov.dev/training/v1';

function rootDigest(label: string): string {
  return `sha256:${createHash('sha256').update(label).digest('hex')}`;
}

const TRAINER_IDENTITY = 'https://github.com/acme/support-assistant/.github/workflows/train.yml@refs/heads/main';
const TRAINER: PolicySigner = {
  name: 'acme-training',
  signer: { kind: 'keyless', identity: TRAINER_IDENTITY, issuer: 'https://token.actions.githubusercontent.com', claims: {} },
};
const DATA_TEAM_KEY = '3f1c2a9e0d4b7c6e5a8f9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e';
const DATA_TEAM: PolicySigner = { name: 'acme-data', signer: { kind: 'key', keyHint: DATA_TEAM_KEY } };
const BASE_PUBLISHER_IDENTITY = 'https://github.com/open-models/base-1b/.github/workflows/release.yml@refs/tags/v1.0.0';
const BASE_PUBLISHER: PolicySigner = {
  name: 'base-publisher',
  signer: { kind: 'keyless', identity: BASE_PUBLISHER_IDENTITY, issuer: 'https://token.actions.githubusercontent.com', claims: {} },
};

const DIGESTS = {
  model: rootDigest('support-assistant-1b'),
  tickets: rootDigest('support-tickets-2024'),
  faq: rootDigest('public-faq-corpus'),
  recipe: rootDigest('sft-recipe'),
  base: rootDigest('base-1b'),
};

function node(fields: Partial<LineageNode> & Pick<LineageNode, 'role' | 'name' | 'digest'>): LineageNode {
  return { id: `${fields.role}/${fields.name}`, attestations: [], findings: [], children: [], ...fields };
}

const TICKETS = node({
  role: 'dataset',
  name: 'support-tickets-2024',
  digest: DIGESTS.tickets,
  signedBy: DATA_TEAM,
  attestations: [{ predicateType: DATASET_CARD_V1, signedBy: DATA_TEAM, details: { license: 'Apache-2.0' } }],
  card: { license: 'Apache-2.0', version: '2024.06', description: 'Anonymised customer support tickets, 2024 H1.', hasSensitivePersonalInformation: 'yes' },
});
const FAQ = node({
  role: 'dataset',
  name: 'public-faq-corpus',
  digest: DIGESTS.faq,
  signedBy: DATA_TEAM,
  attestations: [{ predicateType: DATASET_CARD_V1, signedBy: DATA_TEAM, details: { license: 'CC-BY-4.0 OR MIT' } }],
  card: { license: 'CC-BY-4.0 OR MIT', version: '3', hasSensitivePersonalInformation: 'no' },
});
const RECIPE = node({ role: 'recipe', name: 'sft-recipe', digest: DIGESTS.recipe, signedBy: TRAINER });
const BASE = node({ role: 'base-model', name: 'base-1b', digest: DIGESTS.base, signedBy: BASE_PUBLISHER });
const MODEL = node({
  role: 'model',
  name: 'support-assistant-1b',
  digest: DIGESTS.model,
  path: '/models/support-assistant-1b',
  signedBy: TRAINER,
  attestations: [{ predicateType: SLSA_PROVENANCE_V1, signedBy: TRAINER, details: { builder: TRAINER_IDENTITY } }],
  provenance: {
    builderId: 'https://github.com/acme/support-assistant/.github/workflows/train.yml@refs/heads/main',
    buildType: TRAINING_BUILD_TYPE,
    invocationId: 'https://github.com/acme/support-assistant/actions/runs/9876543210/attempts/1',
    startedOn: '2025-03-01T08:00:00Z',
    finishedOn: '2025-03-01T14:30:00Z',
  },
  children: [TICKETS, FAQ, RECIPE, BASE],
});

function lineage(verdict: LineageVerdict = 'verified', root: LineageNode = MODEL): LineageResult {
  return { verdict, root, evidence: [] };
}

const OPTIONS: BuildMlBomOptions = {
  toolVersion: '0.1.0',
  timestamp: new Date('2025-03-02T10:00:00Z'),
  serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79',
};

// ---------------------------------------------------------------------------------------------
// A read-only view of the parts of the document the tests look at.
// ---------------------------------------------------------------------------------------------

interface ComponentView {
  type: string;
  name: string;
  version?: string;
  description?: string;
  'bom-ref': string;
  hashes?: { alg: string; content: string }[];
  licenses?: ({ license: { id?: string; name?: string; acknowledgement?: string } } | { expression: string; acknowledgement?: string })[];
  properties?: { name: string; value: string }[];
  modelCard?: { modelParameters?: { datasets?: { ref: string }[] } };
  data?: { type: string; name?: string; sensitiveData?: string[] }[];
}

interface BomView {
  bomFormat: string;
  specVersion: string;
  serialNumber?: string;
  metadata: { timestamp: string; tools: { components: { type: string; name: string; version?: string }[] }; component: ComponentView };
  components: ComponentView[];
  dependencies: { ref: string; dependsOn?: string[] }[];
}

function build(result: LineageResult = lineage(), options: BuildMlBomOptions = OPTIONS): BomView {
  return buildMlBom(result, options) as BomView;
}

function componentWithRole(bom: BomView, role: string): ComponentView[] {
  return [bom.metadata.component, ...bom.components].filter((component) => property(component, ML_BOM_PROPERTIES.role) === role);
}

function property(component: ComponentView, name: string): string | undefined {
  return component.properties?.find((entry) => entry.name === name)?.value;
}

function byRef(bom: BomView, ref: string): ComponentView {
  const found = bom.components.find((component) => component['bom-ref'] === ref);
  if (found === undefined) throw new Error(`no component ${ref}`);
  return found;
}

function dependsOn(bom: BomView, ref: string): string[] | undefined {
  return bom.dependencies.find((dependency) => dependency.ref === ref)?.dependsOn;
}

function hexOf(digest: string): string {
  return digest.slice('sha256:'.length);
}

/** One validator for the file: it compiles the schema once, on first use (about a second). */
const VALIDATOR = new Validation.JsonStrictValidator(Spec.Version.v1dot6);

async function validate(document: unknown): Promise<unknown> {
  return VALIDATOR.validate(JSON.stringify(document));
}

// ---------------------------------------------------------------------------------------------

describe('buildMlBom', () => {
  // The validator bundles the 1.6 schema (and the SPDX and JSF schemas it refers to) and disables
  // remote $refs: it must run offline. Any fetch is a failure, not a slow test.
  beforeEach(() => {
    vi.spyOn(globalThis, 'fetch').mockImplementation(() => Promise.reject(new Error('network access during BOM validation')));
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('writes a CycloneDX 1.6 document that validates against the strict 1.6 JSON schema, offline', async () => {
    const bom = build();
    expect(bom.bomFormat).toBe('CycloneDX');
    expect(bom.specVersion).toBe('1.6');
    expect(await validate(bom)).toBeNull();
    expect(globalThis.fetch).not.toHaveBeenCalled();
  });

  it('the schema validator is not vacuous: an unknown model card field is refused', async () => {
    const bom = build();
    const tampered = { ...bom, metadata: { ...bom.metadata, component: { ...bom.metadata.component, modelCard: { bogus: true } } } };
    expect(await validate(tampered)).not.toBeNull();
  });

  it('records the serial number, timestamp, aiprov as the tool, and the top model as the subject', () => {
    const bom = build();
    expect(bom.serialNumber).toBe(OPTIONS.serialNumber);
    expect(bom.metadata.timestamp).toBe('2025-03-02T10:00:00.000Z');
    expect(bom.metadata.tools.components).toEqual([{ type: 'application', name: 'aiprov', version: '0.1.0' }]);
    expect(bom.metadata.component['bom-ref']).toBe(bomRefFor('model', DIGESTS.model));
    expect(bom.metadata.component).toMatchObject({ type: 'machine-learning-model', name: 'support-assistant-1b' });
    // The subject is described once, in metadata, not again among its inputs.
    expect(bom.components.map((component) => component['bom-ref'])).not.toContain(bomRefFor('model', DIGESTS.model));
  });

  it('gives every artifact a component of its role, named by its root digest', () => {
    const bom = build();
    expect(componentWithRole(bom, 'model').map((component) => component.type)).toEqual(['machine-learning-model']);
    expect(componentWithRole(bom, 'base-model').map((component) => component.type)).toEqual(['machine-learning-model']);
    // The library sorts components (reproducible output); the model card keeps provenance order.
    expect(componentWithRole(bom, 'dataset').map((component) => [component.type, component.name])).toEqual([
      ['data', 'public-faq-corpus'],
      ['data', 'support-tickets-2024'],
    ]);
    expect(componentWithRole(bom, 'recipe').map((component) => component.type)).toEqual(['application']);

    for (const [role, digest] of [['model', DIGESTS.model], ['dataset', DIGESTS.tickets], ['dataset', DIGESTS.faq], ['recipe', DIGESTS.recipe], ['base-model', DIGESTS.base]] as const) {
      const component = role === 'model' ? bom.metadata.component : byRef(bom, bomRefFor(role, digest));
      expect(component['bom-ref']).toBe(`${role}:${digest}`);
      expect(component.hashes).toEqual([{ alg: 'SHA-256', content: hexOf(digest) }]);
      expect(property(component, ML_BOM_PROPERTIES.rootDigest)).toBe(digest);
    }
  });

  it("carries the dataset cards' licenses as declared SPDX licenses and expressions", () => {
    const bom = build();
    expect(byRef(bom, bomRefFor('dataset', DIGESTS.tickets)).licenses).toEqual([{ license: { id: 'Apache-2.0', acknowledgement: 'declared' } }]);
    expect(byRef(bom, bomRefFor('dataset', DIGESTS.faq)).licenses).toEqual([{ expression: 'CC-BY-4.0 OR MIT', acknowledgement: 'declared' }]);
    expect(bom.metadata.component.licenses).toBeUndefined();
  });

  it('describes datasets with CycloneDX data entries, version and description', () => {
    const bom = build();
    const tickets = byRef(bom, bomRefFor('dataset', DIGESTS.tickets));
    expect(tickets).toMatchObject({ version: '2024.06', description: 'Anonymised customer support tickets, 2024 H1.' });
    expect(tickets.data).toEqual([{ type: 'dataset', name: 'support-tickets-2024', sensitiveData: ['personal information'] }]);
    expect(property(tickets, ML_BOM_PROPERTIES.sensitivePersonalInformation)).toBe('yes');
    const faq = byRef(bom, bomRefFor('dataset', DIGESTS.faq));
    expect(faq.data).toEqual([{ type: 'dataset', name: 'public-faq-corpus' }]);
    expect(property(faq, ML_BOM_PROPERTIES.sensitivePersonalInformation)).toBe('no');
    // data is for data components only (CycloneDX 1.6), modelCard for models only.
    expect(byRef(bom, bomRefFor('recipe', DIGESTS.recipe)).data).toBeUndefined();
    expect(tickets.modelCard).toBeUndefined();
  });

  it("references the model's datasets from its model card, in provenance order", () => {
    const bom = build();
    expect(bom.metadata.component.modelCard).toEqual({
      modelParameters: { datasets: [{ ref: bomRefFor('dataset', DIGESTS.tickets) }, { ref: bomRefFor('dataset', DIGESTS.faq) }] },
    });
    // Nothing is known of the base model's training data: no empty model card is invented.
    expect(byRef(bom, bomRefFor('base-model', DIGESTS.base)).modelCard).toBeUndefined();
  });

  it('makes the model depend on its datasets, recipe and base model', () => {
    const bom = build();
    expect(dependsOn(bom, bomRefFor('model', DIGESTS.model))).toEqual(
      [bomRefFor('dataset', DIGESTS.tickets), bomRefFor('dataset', DIGESTS.faq), bomRefFor('recipe', DIGESTS.recipe), bomRefFor('base-model', DIGESTS.base)].sort(),
    );
    for (const ref of [bomRefFor('dataset', DIGESTS.tickets), bomRefFor('dataset', DIGESTS.faq), bomRefFor('recipe', DIGESTS.recipe), bomRefFor('base-model', DIGESTS.base)]) {
      expect(bom.dependencies.map((dependency) => dependency.ref)).toContain(ref);
      expect(dependsOn(bom, ref)).toBeUndefined();
    }
  });

  it('records the verified signers, builder and attestations as aiprov properties', () => {
    const bom = build();
    const model = bom.metadata.component;
    expect(property(model, ML_BOM_PROPERTIES.role)).toBe('model');
    expect(property(model, ML_BOM_PROPERTIES.signer)).toBe(TRAINER_IDENTITY);
    expect(property(model, ML_BOM_PROPERTIES.signerKind)).toBe('keyless');
    expect(property(model, ML_BOM_PROPERTIES.signerIssuer)).toBe('https://token.actions.githubusercontent.com');
    expect(property(model, ML_BOM_PROPERTIES.builderId)).toBe(MODEL.provenance?.builderId);
    expect(property(model, ML_BOM_PROPERTIES.buildType)).toBe(TRAINING_BUILD_TYPE);
    expect(property(model, ML_BOM_PROPERTIES.invocationId)).toBe(MODEL.provenance?.invocationId);
    expect(property(model, ML_BOM_PROPERTIES.attestation)).toBe(SLSA_PROVENANCE_V1);

    const tickets = byRef(bom, bomRefFor('dataset', DIGESTS.tickets));
    expect(property(tickets, ML_BOM_PROPERTIES.signer)).toBe(`key ${DATA_TEAM_KEY}`);
    expect(property(tickets, ML_BOM_PROPERTIES.signerKind)).toBe('key');
    expect(property(tickets, ML_BOM_PROPERTIES.signerIssuer)).toBeUndefined();
    expect(property(tickets, ML_BOM_PROPERTIES.attestation)).toBe(DATASET_CARD_V1);
    expect(property(byRef(bom, bomRefFor('base-model', DIGESTS.base)), ML_BOM_PROPERTIES.signer)).toBe(BASE_PUBLISHER_IDENTITY);
  });

  it('does not leak where the artifacts were found on the verifying machine', () => {
    expect(JSON.stringify(build())).not.toContain('/models/support-assistant-1b');
  });

  it('is reproducible: the same lineage, time and serial number give the same document', () => {
    expect(build()).toEqual(build());
  });

  it('generates a fresh urn:uuid serial number when none is given', () => {
    const withoutSerial: BuildMlBomOptions = { toolVersion: OPTIONS.toolVersion, timestamp: OPTIONS.timestamp };
    const first = build(lineage(), withoutSerial);
    const second = build(lineage(), withoutSerial);
    expect(first.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(first.serialNumber).not.toBe(second.serialNumber);
  });

  it('writes an artifact met twice in the lineage once, with every edge to it', async () => {
    // The base model was itself trained on the FAQ corpus: one component, two dependents.
    const baseWithLineage = node({ ...BASE, children: [FAQ] });
    const bom = build(lineage('verified', { ...MODEL, children: [TICKETS, FAQ, RECIPE, baseWithLineage] }));
    const faqRef = bomRefFor('dataset', DIGESTS.faq);
    expect(bom.components.filter((component) => component['bom-ref'] === faqRef)).toHaveLength(1);
    expect(dependsOn(bom, bomRefFor('base-model', DIGESTS.base))).toEqual([faqRef]);
    expect(dependsOn(bom, bomRefFor('model', DIGESTS.model))).toContain(faqRef);
    expect(byRef(bom, bomRefFor('base-model', DIGESTS.base)).modelCard).toEqual({ modelParameters: { datasets: [{ ref: faqRef }] } });
    expect(await validate(bom)).toBeNull();
  });

  it('keeps NONE and NOASSERTION as a property, not as a CycloneDX license', async () => {
    const scraped = node({ ...FAQ, card: { license: 'NOASSERTION' } });
    const bom = build(lineage('verified', { ...MODEL, children: [TICKETS, scraped, RECIPE, BASE] }));
    const component = byRef(bom, bomRefFor('dataset', DIGESTS.faq));
    expect(component.licenses).toBeUndefined();
    expect(property(component, ML_BOM_PROPERTIES.license)).toBe('NOASSERTION');
    expect(await validate(bom)).toBeNull();
  });

  it('writes a single LicenseRef as an expression the schema accepts', async () => {
    const custom = node({ ...TICKETS, card: { license: 'LicenseRef-acme-internal' } });
    const bom = build(lineage('verified', { ...MODEL, children: [custom, FAQ, RECIPE, BASE] }));
    expect(byRef(bom, bomRefFor('dataset', DIGESTS.tickets)).licenses).toEqual([{ expression: 'LicenseRef-acme-internal', acknowledgement: 'declared' }]);
    expect(await validate(bom)).toBeNull();
  });

  it('ends a lineage that names itself again in an edge, not in endless recursion', async () => {
    const children: LineageNode[] = [];
    const loop = node({ ...BASE, children });
    children.push(FAQ, loop);
    const bom = build(lineage('verified', { ...MODEL, children: [TICKETS, FAQ, RECIPE, loop] }));
    expect(bom.components.filter((component) => component['bom-ref'] === bomRefFor('base-model', DIGESTS.base))).toHaveLength(1);
    expect(dependsOn(bom, bomRefFor('base-model', DIGESTS.base))).toEqual([bomRefFor('dataset', DIGESTS.faq)]);
    expect(await validate(bom)).toBeNull();
  });

  describe('refuses', () => {
    it.each(['failed', 'denied'] as const)('a %s lineage with LINEAGE_NOT_VERIFIED', (verdict) => {
      const error = errorOf(() => buildMlBom(lineage(verdict), OPTIONS));
      expect(error).toBeInstanceOf(InputError);
      expect(error?.code).toBe('LINEAGE_NOT_VERIFIED');
    });

    it('a node whose digest is not a sha256 root digest with DIGEST_INVALID', () => {
      for (const digest of ['sha512:' + hexOf(DIGESTS.recipe), 'sha256:' + hexOf(DIGESTS.recipe).toUpperCase(), 'sha256:abc']) {
        const tampered = node({ ...RECIPE, digest });
        const error = errorOf(() => buildMlBom(lineage('verified', { ...MODEL, children: [TICKETS, FAQ, tampered, BASE] }), OPTIONS));
        expect(error).toBeInstanceOf(InputError);
        expect(error?.code).toBe('DIGEST_INVALID');
      }
    });

    it('a serial number the schema would not accept with SERIAL_NUMBER_INVALID', () => {
      for (const serialNumber of ['3e671687-395b-41f5-a30f-a58921a69b79', 'urn:uuid:3E671687-395B-41F5-A30F-A58921A69B79', 'urn:uuid:nope']) {
        expect(errorOf(() => buildMlBom(lineage(), { ...OPTIONS, serialNumber }))?.code).toBe('SERIAL_NUMBER_INVALID');
      }
    });

    it('an invalid timestamp with TIMESTAMP_INVALID', () => {
      expect(errorOf(() => buildMlBom(lineage(), { ...OPTIONS, timestamp: new Date('not a date') }))?.code).toBe('TIMESTAMP_INVALID');
    });
  });
});
