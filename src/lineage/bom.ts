/**
 * A CycloneDX 1.6 ML-BOM of a verified lineage: the model, the datasets, recipe and base model it
 * was built from (recursively), with what aiprov verified about each (root digest, signer, builder)
 * as data a supply-chain tool can read without knowing aiprov.
 *
 * Built with the official CycloneDX library (`@cyclonedx/cyclonedx-library`) and its 1.6 JSON
 * serializer. The library (10.x) has no model of the 1.6 ML fields `component.modelCard` and
 * `component.data`, so they are added to the serialized document afterwards, at the components
 * whose bom-ref they belong to; the result validates against the 1.6 JSON schema (see the tests).
 *
 * Only a verified lineage becomes a BOM: a BOM is read as "these are the inputs of this model", and
 * writing one for a tampered or denied lineage would launder unverified claims into a format that
 * carries no verdict.
 */
import { randomUUID } from 'node:crypto';
import { Enums, Models, SPDX, Serialize, Spec } from '@cyclonedx/cyclonedx-library';
import { InputError, InternalError } from '../errors.js';
import type { ArtifactRole } from '../format/artifact-kind.js';
import type { LineageNode, LineageResult } from './types.js';
import { signerIdentity } from '../verify/signer.js';

export interface BuildMlBomOptions {
  /** aiprov's version, recorded as the tool that produced the BOM (`metadata.tools`). */
  readonly toolVersion: string;
  /** `metadata.timestamp`: an input, so that the same lineage gives the same BOM. */
  readonly timestamp: Date;
  /** `urn:uuid:<uuid>`; a random one when omitted (CycloneDX: every BOM SHOULD have its own). */
  readonly serialNumber?: string;
}

/**
 * The names of the component properties aiprov writes (CycloneDX properties are name/value
 * strings; the `aiprov:` prefix is our namespace, as the CycloneDX property taxonomy asks).
 */
export const ML_BOM_PROPERTIES = {
  role: 'aiprov:role',
  rootDigest: 'aiprov:root-digest',
  signer: 'aiprov:signer',
  signerKind: 'aiprov:signer-kind',
  signerIssuer: 'aiprov:signer-issuer',
  builderId: 'aiprov:builder-id',
  buildType: 'aiprov:build-type',
  invocationId: 'aiprov:invocation-id',
  startedOn: 'aiprov:started-on',
  finishedOn: 'aiprov:finished-on',
  attestation: 'aiprov:attestation',
  license: 'aiprov:license',
  sensitivePersonalInformation: 'aiprov:has-sensitive-personal-information',
} as const;

/**
 * The bom-ref of an artifact: its role and root digest, so that the same lineage always gives the
 * same refs and an artifact met twice in the graph (a dataset shared by a model and its base
 * model) is one component.
 */
export function bomRefFor(role: ArtifactRole, digest: string): string {
  return `${role}:${digest}`;
}

/**
 * Builds the CycloneDX 1.6 ML-BOM (a JSON document, as a plain object) of a verified lineage.
 * The top model is `metadata.component`; every other artifact is one entry of `components`.
 *
 * @throws InputError LINEAGE_NOT_VERIFIED unless `result.verdict` is `verified`; DIGEST_INVALID,
 *   SERIAL_NUMBER_INVALID, TIMESTAMP_INVALID for inputs the BOM cannot represent.
 */
export function buildMlBom(result: LineageResult, options: BuildMlBomOptions): object {
  if (result.verdict !== 'verified') {
    throw new InputError('LINEAGE_NOT_VERIFIED', `only a verified lineage can be written as an ML-BOM (verdict: ${result.verdict})`);
  }
  if (Number.isNaN(options.timestamp.getTime())) {
    throw new InputError('TIMESTAMP_INVALID', 'the BOM timestamp is not a valid date');
  }
  const serialNumber = options.serialNumber ?? `urn:uuid:${randomUUID()}`;
  // The library's serializer silently drops a serial number it does not accept: refuse it instead.
  if (!SERIAL_NUMBER.test(serialNumber)) {
    throw new InputError('SERIAL_NUMBER_INVALID', `BOM serial number ${JSON.stringify(serialNumber)} is not urn:uuid:<lowercase RFC 4122 UUID>`);
  }

  const graph = new LineageGraph();
  const top = graph.add(result.root);

  const bom = new Models.Bom({ serialNumber });
  bom.metadata.timestamp = options.timestamp;
  bom.metadata.tools.components.add(new Models.Component(Enums.ComponentType.Application, 'aiprov', { version: options.toolVersion }));
  bom.metadata.component = top;
  for (const component of graph.components()) {
    if (component !== top) bom.components.add(component);
  }

  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  const document = JSON.parse(serializer.serialize(bom, { sortLists: true })) as SerializedBom;
  addMlFields(document, graph.mlFields());
  return document;
}

// ---------------------------------------------------------------------------------------------
// Lineage → library models
// ---------------------------------------------------------------------------------------------

/** CycloneDX `serialNumber` pattern (bom-1.6.schema.json). */
const SERIAL_NUMBER = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Artifacts are named by their sha256 root digest, lowercase hex (docs/FORMATS.md). */
const ROOT_DIGEST = /^sha256:([0-9a-f]{64})$/;

/** SPDX's "no license" and "not stated" (accepted by the dataset card): not licenses in CycloneDX. */
const SPECIAL_LICENSE_VALUES = new Set(['NONE', 'NOASSERTION']);

/** The 1.6 ML fields of one component that the library cannot model (see the module comment). */
interface MlFields {
  modelCard?: { modelParameters: { datasets: { ref: string }[] } };
  data?: { type: 'dataset'; name: string; sensitiveData?: string[] }[];
}

/**
 * The lineage tree flattened to one component per bom-ref, with `dependencies` from each model to
 * its inputs. Nodes are registered before their children are visited, so a lineage that names an
 * ancestor again ends in a dependency edge, not in endless recursion.
 */
class LineageGraph {
  readonly #entries = new Map<string, { readonly component: Models.Component; readonly ml: MlFields }>();

  add(node: LineageNode): Models.Component {
    const ref = bomRefFor(node.role, node.digest);
    const known = this.#entries.get(ref);
    if (known !== undefined) return known.component;

    const component = componentOf(node, ref);
    const ml = dataFieldsOf(node);
    this.#entries.set(ref, { component, ml });

    const datasetRefs: string[] = [];
    for (const child of node.children) {
      const input = this.add(child);
      component.dependencies.add(input.bomRef);
      const inputRef = input.bomRef.toString();
      if (child.role === 'dataset' && !datasetRefs.includes(inputRef)) datasetRefs.push(inputRef);
    }
    // CycloneDX 1.6 modelCard.modelParameters.datasets: by reference to the data components, in
    // the order the training provenance lists them. Nothing else of a model card is known here.
    if (datasetRefs.length > 0) ml.modelCard = { modelParameters: { datasets: datasetRefs.map((datasetRef) => ({ ref: datasetRef })) } };
    return component;
  }

  components(): Models.Component[] {
    return [...this.#entries.values()].map((entry) => entry.component);
  }

  mlFields(): ReadonlyMap<string, MlFields> {
    return new Map([...this.#entries].map(([ref, entry]) => [ref, entry.ml]));
  }
}

/** The sha256 hex of a node's root digest; the library would silently drop a malformed hash. */
function digestHexOf(node: LineageNode): string {
  const match = ROOT_DIGEST.exec(node.digest);
  if (match?.[1] === undefined) {
    throw new InputError('DIGEST_INVALID', `${node.role} ${JSON.stringify(node.name)}: digest ${JSON.stringify(node.digest)} is not sha256:<64 lowercase hex digits>`);
  }
  return match[1];
}

function componentTypeOf(role: ArtifactRole): Enums.ComponentType {
  switch (role) {
    case 'model':
    case 'base-model':
      return Enums.ComponentType.MachineLearningModel;
    case 'dataset':
      return Enums.ComponentType.Data;
    case 'recipe':
      // Training code and configuration, run to produce the model: software, not a single file.
      return Enums.ComponentType.Application;
  }
}

function componentOf(node: LineageNode, ref: string): Models.Component {
  const component = new Models.Component(componentTypeOf(node.role), node.name, { bomRef: ref });
  // The OMS root digest, not the sha256 of any one file: it is checked with `aiprov verify`, and
  // `aiprov:root-digest` says so for readers who would compare it with `sha256sum`.
  component.hashes.set(Enums.HashAlgorithm['SHA-256'], digestHexOf(node));
  if (node.card?.version !== undefined) component.version = node.card.version;
  if (node.card?.description !== undefined) component.description = node.card.description;
  const license = licenseOf(node.card?.license);
  if (license !== undefined) component.licenses.add(license);
  for (const [name, value] of propertiesOf(node)) component.properties.add(new Models.Property(name, value));
  return component;
}

/**
 * The dataset card's license is its author's declaration (CycloneDX acknowledgement `declared`).
 * A single listed id becomes an SPDX license (`license.id`), anything else an SPDX expression;
 * NONE and NOASSERTION have no CycloneDX license form and are kept as the `aiprov:license` property.
 */
function licenseOf(expression: string | undefined): Models.License | undefined {
  if (expression === undefined || SPECIAL_LICENSE_VALUES.has(expression)) return undefined;
  const license = SPDX.isSupportedSpdxId(expression) ? new Models.SpdxLicense(expression) : new Models.LicenseExpression(expression);
  license.acknowledgement = Enums.LicenseAcknowledgement.Declared;
  return license;
}

function propertiesOf(node: LineageNode): [string, string][] {
  const properties: [string, string][] = [
    [ML_BOM_PROPERTIES.role, node.role],
    [ML_BOM_PROPERTIES.rootDigest, node.digest],
  ];
  const add = (name: string, value: string | undefined): void => {
    if (value !== undefined) properties.push([name, value]);
  };
  const signer = node.signedBy?.signer;
  add(ML_BOM_PROPERTIES.signer, signer === undefined ? undefined : signerIdentity(signer));
  add(ML_BOM_PROPERTIES.signerKind, signer?.kind);
  add(ML_BOM_PROPERTIES.signerIssuer, signer?.kind === 'key' ? undefined : signer?.issuer);
  add(ML_BOM_PROPERTIES.builderId, node.provenance?.builderId);
  add(ML_BOM_PROPERTIES.buildType, node.provenance?.buildType);
  add(ML_BOM_PROPERTIES.invocationId, node.provenance?.invocationId);
  add(ML_BOM_PROPERTIES.startedOn, node.provenance?.startedOn);
  add(ML_BOM_PROPERTIES.finishedOn, node.provenance?.finishedOn);
  for (const predicateType of new Set(node.attestations.map((attestation) => attestation.predicateType))) {
    add(ML_BOM_PROPERTIES.attestation, predicateType);
  }
  const license = node.card?.license;
  if (license !== undefined && SPECIAL_LICENSE_VALUES.has(license)) add(ML_BOM_PROPERTIES.license, license);
  add(ML_BOM_PROPERTIES.sensitivePersonalInformation, node.card?.hasSensitivePersonalInformation);
  return properties;
}

/**
 * CycloneDX 1.6 `component.data` for datasets (the schema has no description there: the card's
 * description is the component's). SPDX 3 `hasSensitivePersonalInformation: yes` becomes a
 * `sensitiveData` entry; the raw value is also kept as a property.
 */
function dataFieldsOf(node: LineageNode): MlFields {
  if (node.role !== 'dataset') return {};
  const sensitive = node.card?.hasSensitivePersonalInformation === 'yes' ? { sensitiveData: ['personal information'] } : {};
  return { data: [{ type: 'dataset', name: node.name, ...sensitive }] };
}

// ---------------------------------------------------------------------------------------------
// Serialized document
// ---------------------------------------------------------------------------------------------

interface SerializedComponent {
  'bom-ref'?: string;
  [field: string]: unknown;
}

interface SerializedBom {
  metadata?: { component?: SerializedComponent };
  components?: SerializedComponent[];
  [field: string]: unknown;
}

/** Adds modelCard/data to the serialized components they belong to, found by bom-ref. */
function addMlFields(document: SerializedBom, fields: ReadonlyMap<string, MlFields>): void {
  const serialized = new Map<string, SerializedComponent>();
  for (const component of [document.metadata?.component, ...(document.components ?? [])]) {
    const ref = component?.['bom-ref'];
    if (component !== undefined && ref !== undefined) serialized.set(ref, component);
  }
  for (const [ref, ml] of fields) {
    if (ml.modelCard === undefined && ml.data === undefined) continue;
    const component = serialized.get(ref);
    if (component === undefined) throw new InternalError('INTERNAL', `ML-BOM: component ${ref} is missing from the serialized BOM`);
    Object.assign(component, ml);
  }
}
