import type { GitRepositories } from '../source/git-repositories';
import type { CatalogueSource, CatalogueText } from './platform-catalogue';

/**
 * A catalogue kept in a git repository, so platform teams change it by merge request.
 * The change token is the commit the ref points at; reading returns the text fetched
 * with that token, so one refresh fetches once.
 */
export function gitCatalogueSource(repositories: GitRepositories, spec: { repository: string; ref: string; path: string }): CatalogueSource {
  let last: CatalogueText | undefined;
  const fetchNow = async (signal?: AbortSignal): Promise<CatalogueText> => {
    const { text, commit } = await repositories.readFile(spec.repository, spec.ref, spec.path, signal);
    last = { text, revision: commit };
    return last;
  };
  return {
    location: `${spec.repository}#${spec.ref}:${spec.path}`,
    // Repositories must be named by URL or absolute path: there is no folder to resolve against.
    repositoryBase: undefined,
    async changeToken(signal) {
      return (await fetchNow(signal)).revision ?? '';
    },
    async read(signal) {
      return last ?? fetchNow(signal);
    },
  };
}
