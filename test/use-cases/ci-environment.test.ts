import { describe, expect, it } from 'vitest';
import { ciEnvironmentDefaults } from '../../src/use-cases/ci-environment.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';

describe('ciEnvironmentDefaults: builder, run and commit from every CI aiprov knows', () => {
  it('Buildkite', () => {
    expect(
      ciEnvironmentDefaults({ BUILDKITE: 'true', BUILDKITE_ORGANIZATION_SLUG: 'acme', BUILDKITE_PIPELINE_SLUG: 'train', BUILDKITE_BUILD_URL: 'https://buildkite.com/acme/train/builds/7', BUILDKITE_JOB_ID: 'j-1', BUILDKITE_REPO: 'https://github.com/acme/models.git', BUILDKITE_COMMIT: SHA, BUILDKITE_BRANCH: 'main' }),
    ).toEqual({
      provider: 'buildkite',
      builderId: 'https://buildkite.com/acme/train',
      invocationId: 'https://buildkite.com/acme/train/builds/7#j-1',
      code: { uri: 'git+https://github.com/acme/models.git@refs/heads/main', gitCommit: SHA },
    });
  });

  it('CircleCI', () => {
    expect(
      ciEnvironmentDefaults({ CIRCLECI: 'true', CIRCLE_PROJECT_USERNAME: 'acme', CIRCLE_PROJECT_REPONAME: 'models', CIRCLE_REPOSITORY_URL: 'https://github.com/acme/models', CIRCLE_SHA1: SHA, CIRCLE_TAG: 'v1', CIRCLE_BUILD_URL: 'https://circleci.com/gh/acme/models/42' }),
    ).toEqual({
      provider: 'circleci',
      builderId: 'https://app.circleci.com/pipelines/acme/models',
      invocationId: 'https://circleci.com/gh/acme/models/42',
      code: { uri: 'git+https://github.com/acme/models@refs/tags/v1', gitCommit: SHA },
    });
  });

  it('Google Cloud Build, from the substitutions a step maps into its env', () => {
    expect(ciEnvironmentDefaults({ CLOUD_BUILD: 'true', BUILD_ID: 'b-1', PROJECT_ID: 'acme-ml', TRIGGER_NAME: 'train' })).toEqual({
      provider: 'google-cloud-build',
      builderId: 'https://cloudbuild.googleapis.com/projects/acme-ml/triggers/train',
      invocationId: 'https://console.cloud.google.com/cloud-build/builds/b-1?project=acme-ml',
    });
  });

  it('leaves out what is missing, never a partial URI, and a commit that is not a commit', () => {
    expect(ciEnvironmentDefaults({ BUILDKITE: 'true', BUILDKITE_COMMIT: 'HEAD', BUILDKITE_REPO: 'https://github.com/acme/models.git' })).toEqual({ provider: 'buildkite' });
    expect(ciEnvironmentDefaults({ BUILD_ID: 'b-1', PROJECT_ID: 'p' })).toBeUndefined();
  });
});
