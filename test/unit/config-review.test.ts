import { validateCatalogue } from '../../src/config/validate-catalogue';

/** `review:` of the catalogue: who is sent the quarterly review. */
const catalogue = (review: unknown) => ({
  version: 1,
  services: { web: { repository: './web', build: 'true', test: { unit: 'true', integration: 'true', lint: 'true' }, artifact: { include: ['dist'] }, run: { command: 'node server.js' }, environments: { production: {} } } },
  review,
});

describe('the catalogue\'s review webhooks', () => {
  test('a URL, or a variable holding one, with an optional signing secret; json by default', () => {
    const result = validateCatalogue(catalogue({ webhooks: [{ url: 'https://hooks.example.com/review', secretEnv: 'REVIEW_SECRET' }, { urlEnv: 'SLACK_REVIEW_URL', format: 'slack' }] }));
    expect(result.success).toBe(true);
    expect(result.success && result.catalogue.review?.webhooks).toEqual([
      { url: 'https://hooks.example.com/review', secretEnv: 'REVIEW_SECRET', format: 'json' },
      { urlEnv: 'SLACK_REVIEW_URL', format: 'slack' },
    ]);
  });

  test.each([
    ['both url and urlEnv', { url: 'https://a.example', urlEnv: 'X' }, 'review.webhooks[0].url', /either url or urlEnv/],
    ['neither', { format: 'json' }, 'review.webhooks[0].url', /either url or urlEnv/],
    ['a password in the URL', { url: 'https://u:p@a.example' }, 'review.webhooks[0].url', /must not carry a user or password/],
    ['events, which only a service\'s webhooks have', { url: 'https://a.example', events: ['succeeded'] }, 'review.webhooks[0].events', /unknown key/],
  ])('bad input, %s: the field is named', (_, webhook, field, message) => {
    const result = validateCatalogue(catalogue({ webhooks: [webhook] }));
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(result.issues.map((i) => ({ path: i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').slice(1).replace('.[', '['), message: i.message }))).toEqual([
      { path: field, message: expect.stringMatching(message) },
    ]);
  });
});
