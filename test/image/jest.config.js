// `npm run test:image`: replays the Dockerfile's runtime stage (slow: a production npm ci), kept out of `npm test`.
const { projects } = require('../../jest.config.js');
const e2e = projects.find((p) => p.displayName === 'e2e');

module.exports = {
  ...e2e,
  displayName: 'image',
  rootDir: '../..',
  roots: ['<rootDir>/test/image'],
  testMatch: ['**/*.image-spec.ts'],
  testTimeout: 300_000,
};
