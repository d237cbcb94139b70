import type { ProvenanceStatement } from '../policy/provenance';
import type { ArtifactRef } from '../shared/release';

/**
 * The terminal view of a release's artifact and where it came from. Everything shown is
 * read from the provenance statement, so the screen says what the statement says.
 */
export function renderArtifact(artifact: ArtifactRef, provenance?: ProvenanceStatement): string {
  const lines = [
    `Artifact ${artifact.service} ${artifact.version}`,
    `  digest      ${artifact.digest}`,
    `  size        ${artifact.sizeBytes} bytes`,
  ];
  if (!provenance) {
    lines.push('  provenance  none recorded for this release');
    return lines.join('\n');
  }
  const { buildDefinition: build, runDetails: run } = provenance.predicate;
  const { source, author } = build.externalParameters;
  const { catalogue, commands } = build.internalParameters;
  const dependency = build.resolvedDependencies[0];
  lines.push(
    `  repository  ${source.repository}${source.directory && source.directory !== '.' ? ` (directory ${source.directory})` : ''}`,
    `  commit      ${dependency?.digest.gitCommit ?? 'unknown'}`,
    `  committed   ${dependency?.annotations?.committedAt ?? 'unknown'}`,
    `  requested   ${source.ref}`,
    `  author      ${author}`,
    `  catalogue   ${catalogue.digest} from ${catalogue.source}${catalogue.revision ? ` (revision ${catalogue.revision})` : ''}`,
  );
  if (commands.length === 0) lines.push('  commands    none');
  else {
    lines.push('  commands');
    const width = Math.max(...commands.map((c) => c.label.length));
    for (const c of commands) lines.push(`    ${c.label.padEnd(width)}  ${c.command}`);
  }
  lines.push(
    `  built by    ${run.builder.id} (${build.buildType})`,
    `  invocation  ${run.metadata.invocationId}`,
    `  started     ${run.metadata.startedOn}`,
    `  finished    ${run.metadata.finishedOn}`,
  );
  return lines.join('\n');
}
