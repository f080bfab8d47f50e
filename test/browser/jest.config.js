/** Browser end-to-end specs: the built app (dist/) in headless Chromium against real Redis and the fake model server. */
module.exports = {
  rootDir: '../..',
  roots: ['<rootDir>/test/browser'],
  testRegex: '.*\\.e2e\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test/browser/tsconfig.json' }],
  },
  testEnvironment: 'node',
  testTimeout: 60000,
  slowTestThreshold: 30,
};
