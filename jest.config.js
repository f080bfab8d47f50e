/** Server unit specs (server/**) and API e2e specs (test/**). Browser specs have their own config. */
module.exports = {
  rootDir: '.',
  roots: ['<rootDir>/server', '<rootDir>/test'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  testPathIgnorePatterns: ['/node_modules/', '/test/browser/'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      { tsconfig: 'tsconfig.json', isolatedModules: false, astTransformers: { before: ['<rootDir>/test/support/swagger-plugin.js'] } },
    ],
  },
  testEnvironment: 'node',
  testTimeout: 30000,
  // Suites start servers, Redis processes and subscriber connections; a handle one of them leaves
  // behind must not keep the whole run waiting for its time limit.
  forceExit: true,
};
