/**
 * What a CI job already knows about a training run — who built it, which run, which commit — read
 * from the job's environment so that `attest training` can fill what the user left out.
 */
import { digestProblem } from '../statement/in-toto.js';

export interface CiEnvironmentDefaults {
  readonly provider: 'github-actions' | 'gitlab-ci' | 'buildkite' | 'circleci' | 'google-cloud-build';
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
 * GitLab, `https://buildkite.com/<org>/<pipeline>` for Buildkite), so that a policy can require
 * the provenance's builder to be its signer. CircleCI's is its project's pipelines page, and Cloud
 * Build's its trigger or build (Cloud Build passes its values only as substitutions: map
 * `BUILD_ID`, `PROJECT_ID` and `TRIGGER_NAME` into the step's `env`, with `CLOUD_BUILD=true`).
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
  if (env.BUILDKITE === 'true') {
    const organization = value('BUILDKITE_ORGANIZATION_SLUG');
    const pipeline = value('BUILDKITE_PIPELINE_SLUG');
    const buildUrl = value('BUILDKITE_BUILD_URL');
    const jobId = value('BUILDKITE_JOB_ID');
    const repository = value('BUILDKITE_REPO');
    const sha = value('BUILDKITE_COMMIT');
    const branch = value('BUILDKITE_BRANCH');
    return {
      provider: 'buildkite',
      ...(organization === undefined || pipeline === undefined ? {} : { builderId: `https://buildkite.com/${organization}/${pipeline}` }),
      ...(buildUrl === undefined ? {} : { invocationId: jobId === undefined ? buildUrl : `${buildUrl}#${jobId}` }),
      ...(repository === undefined || !isGitCommit(sha) ? {} : { code: { uri: `git+${repository}${atRef(branch === undefined ? undefined : `refs/heads/${branch}`)}`, gitCommit: sha } }),
    };
  }
  if (env.CIRCLECI === 'true') {
    const user = value('CIRCLE_PROJECT_USERNAME');
    const repo = value('CIRCLE_PROJECT_REPONAME');
    const repository = value('CIRCLE_REPOSITORY_URL');
    const sha = value('CIRCLE_SHA1');
    const tag = value('CIRCLE_TAG');
    const branch = value('CIRCLE_BRANCH');
    const ref = tag !== undefined ? `refs/tags/${tag}` : branch !== undefined ? `refs/heads/${branch}` : undefined;
    const buildUrl = value('CIRCLE_BUILD_URL');
    return {
      provider: 'circleci',
      ...(user === undefined || repo === undefined ? {} : { builderId: `https://app.circleci.com/pipelines/${user}/${repo}` }),
      ...(buildUrl === undefined ? {} : { invocationId: buildUrl }),
      ...(repository === undefined || !isGitCommit(sha) ? {} : { code: { uri: `git+${repository}${atRef(ref)}`, gitCommit: sha } }),
    };
  }
  const buildId = value('BUILD_ID');
  const projectId = value('PROJECT_ID');
  if (buildId !== undefined && projectId !== undefined && (value('CLOUD_BUILD') === 'true' || value('REPO_FULL_NAME') !== undefined || value('TRIGGER_NAME') !== undefined)) {
    const trigger = value('TRIGGER_NAME');
    // The source's host is not among Cloud Build's values (REPO_FULL_NAME is owner/name on any
    // of several hosts): no `code` dependency is guessed; pass --code.
    return {
      provider: 'google-cloud-build',
      builderId: trigger === undefined ? `https://cloudbuild.googleapis.com/projects/${projectId}` : `https://cloudbuild.googleapis.com/projects/${projectId}/triggers/${trigger}`,
      invocationId: `https://console.cloud.google.com/cloud-build/builds/${buildId}?project=${projectId}`,
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
