import { InternalError } from '../errors.js';
import { computeManifestWith, type ComputeOptions } from './compute.js';
import type { Serialization } from './manifest.js';
import { assignParts, checkPartition, sortUnits, summarizeListing, type ListingSummary, type Partition, type SizedResource } from './partition.js';

/** One part of a partitioned digest: this part's resources and what it knows of the whole. */
export interface ManifestPart {
  readonly partition: Partition;
  /** The artifact's name (the folder or file name), as in a whole manifest. */
  readonly name: string;
  readonly serialization: Serialization;
  readonly listing: ListingSummary;
  /** This part's resources, in OMS order. */
  readonly resources: readonly SizedResource[];
}

/**
 * Walks the whole artifact (stat only) and hashes only the resources the partition gives part
 * `partition.index`: the partition, the listing digest and the sizes all come from the one walk
 * that is hashed, so a part never pairs one file's size with another version's digest.
 */
export async function computeManifestPart(artifactPath: string, serialization: Serialization, partition: Partition, options: Omit<ComputeOptions, 'selectFiles' | 'selectResources'> = {}): Promise<ManifestPart> {
  checkPartition(partition);
  // Filled in by the selection callback, which runs once, between the walk and the hashing.
  const plan: { listing?: ListingSummary; sizes?: ReadonlyMap<string, number> } = {};
  const manifest = await computeManifestWith(artifactPath, serialization, {
    ...options,
    selectResources: (resources) => {
      const units = sortUnits(resources, serialization.method);
      const parts = assignParts(units, partition.count);
      const sizes = new Map(units.filter((_, index) => parts[index] === partition.index).map((unit) => [unit.name, unit.size]));
      plan.listing = summarizeListing(units);
      plan.sizes = sizes;
      return new Set(sizes.keys());
    },
  });
  const { listing, sizes } = plan;
  if (listing === undefined || sizes === undefined) throw new InternalError('INTERNAL', 'the partition was never planned: the listing was not offered for selection');
  const resources = manifest.resources.map((resource) => {
    const size = sizes.get(resource.name);
    if (size === undefined) throw new InternalError('INTERNAL', `resource ${JSON.stringify(resource.name)} was hashed but is not in part ${String(partition.index)}`);
    return { ...resource, size };
  });
  if (resources.length !== sizes.size) throw new InternalError('INTERNAL', `part ${String(partition.index)} should hash ${String(sizes.size)} resources, hashed ${String(resources.length)}`);
  return { partition, name: manifest.name, serialization, listing, resources };
}
