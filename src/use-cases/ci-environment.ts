/**
 * What a CI job already knows about a training run — who built it, which run, which commit — read
 * from the job's environment so that `attest training` can fill what the user left out.
 */
import { digestProblem } from '../statement/in-toto.js';

export interface CiEnvironmentDefaults {
  readonly provider: 'github-actions' | 'gitlab-ci';
  /** The workflow / pipeline definition at its ref: what keyless signing certifies as the signer. */
  readonly builderId?: string;
  /** A URL of this run (attempt / job). */
  readonly invocationId?: string;
  /** The repository at the commit being built, as a `code` dependency. */
  readonly code?: { readonly uri: string; readonly gitCommit: string };
}

/**
 * Reads builder id, invocation id and source commit from a CI environment. The caller passes the
 * environment (the library never reads `process.env`); undefined when it is not a CI aiprov knows.
 * Missing variables leave the corresponding field out rather than producing a partial URI.
 *
 * The builder ids are the URIs Fulcio puts in a keyless certificate's SAN for these CIs
 * (`<server>/<workflow path>@<ref>` for GitHub, `<server>/<project>//<config path>@<ref>` for
 * GitLab), so that a policy can require the provenance's builder to be its signer.
 */
export function ciEnvironmentDefaults(env: Readonly<Record<string, string | undefined>>): CiEnvironmentDefaults | undefined {
  const value = (name: string): string | undefined => {
    const raw = env[name];
    return raw === undefined || raw === '' ? undefined : raw;
  };
  if (env.GITHUB_ACTIONS === 'true' || value('GITHUB_RUN_ID') !== undefined) {
    const server = (value('GITHUB_SERVER_URL') ?? 'https://github.com').replace(/\/+$/, '');
    const repository = value('GITHUB_REPOSITORY');
    const workflowRef = value('GITHUB_WORKFLOW_REF');
    const runId = value('GITHUB_RUN_ID');
    const attempt = value('GITHUB_RUN_ATTEMPT') ?? '1';
    const sha = value('GITHUB_SHA');
    return {
      provider: 'github-actions',
      ...(workflowRef === undefined ? {} : { builderId: `${server}/${workflowRef}` }),
      ...(repository === undefined || runId === undefined ? {} : { invocationId: `${server}/${repository}/actions/runs/${runId}/attempts/${attempt}` }),
      ...(repository === undefined || !isGitCommit(sha) ? {} : { code: { uri: `git+${server}/${repository}${atRef(value('GITHUB_REF'))}`, gitCommit: sha } }),
    };
  }
  if (env.GITLAB_CI === 'true' || value('CI_JOB_ID') !== undefined) {
    const server = value('CI_SERVER_URL')?.replace(/\/+$/, '');
    const project = value('CI_PROJECT_PATH');
    const jobId = value('CI_JOB_ID');
    const sha = value('CI_COMMIT_SHA');
    const tag = value('CI_COMMIT_TAG');
    const branch = value('CI_COMMIT_BRANCH') ?? value('CI_COMMIT_REF_NAME');
    const ref = tag !== undefined ? `refs/tags/${tag}` : branch !== undefined ? `refs/heads/${branch}` : undefined;
    const configPath = value('CI_CONFIG_PATH') ?? '.gitlab-ci.yml';
    const jobUrl = value('CI_JOB_URL') ?? (server === undefined || project === undefined || jobId === undefined ? undefined : `${server}/${project}/-/jobs/${jobId}`);
    return {
      provider: 'gitlab-ci',
      ...(server === undefined || project === undefined || ref === undefined ? {} : { builderId: `${server}/${project}//${configPath}@${ref}` }),
      ...(jobUrl === undefined ? {} : { invocationId: jobUrl }),
      ...(server === undefined || project === undefined || !isGitCommit(sha) ? {} : { code: { uri: `git+${server}/${project}${atRef(ref)}`, gitCommit: sha } }),
    };
  }
  return undefined;
}

function atRef(ref: string | undefined): string {
  return ref === undefined ? '' : `@${ref}`;
}

function isGitCommit(sha: string | undefined): sha is string {
  return sha !== undefined && digestProblem('gitCommit', sha) === undefined;
}
