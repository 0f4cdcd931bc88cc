// Lint: typescript-eslint's recommended type-aware rules, plus the few that catch real bugs here
// (floating promises lose errors; misused promises in event handlers swallow them).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Layers (docs/engineering.md): imports point down only.
//   common <- proto <- contracts <- firmware-bindings <- gateway            (the vehicle)
//                                  backend, beside gateway on contracts      (the back office)
//   simulator, models, provisioning, bench on top                            (bench and tools)
// Each folder lists the project folders and packages it must not import; a reversed edge fails lint.
const FOLDERS = ['common', 'proto', 'contracts', 'firmware-bindings', 'gateway', 'backend', 'simulator', 'models', 'provisioning', 'bench'];
const BENCH_AND_BACK_OFFICE_PACKAGES = ['mqtt', 'aedes', 'lora-packet', 'gtfs-realtime-bindings', 'typescript', 'tsx', 'pg'];
const VEHICLE_PACKAGES = ['serialport', '@serialport/*', 'johnny-five', 'firmata-io', 'onnxruntime-node', '@stoprocent/noble'];
const LAYERS = {
  common: { folders: FOLDERS.filter((f) => f !== 'common'), packages: [...BENCH_AND_BACK_OFFICE_PACKAGES, ...VEHICLE_PACKAGES] },
  proto: { folders: FOLDERS.filter((f) => !['common', 'proto'].includes(f)), packages: [...BENCH_AND_BACK_OFFICE_PACKAGES, ...VEHICLE_PACKAGES] },
  contracts: { folders: ['firmware-bindings', 'gateway', 'backend', 'simulator', 'models', 'provisioning', 'bench'], packages: [...BENCH_AND_BACK_OFFICE_PACKAGES, ...VEHICLE_PACKAGES] },
  'firmware-bindings': { folders: ['gateway', 'backend', 'simulator', 'models', 'provisioning', 'bench'], packages: BENCH_AND_BACK_OFFICE_PACKAGES },
  gateway: { folders: ['backend', 'simulator', 'models', 'provisioning', 'bench'], packages: BENCH_AND_BACK_OFFICE_PACKAGES.filter((p) => p !== 'pg') },
  backend: { folders: ['firmware-bindings', 'gateway', 'simulator', 'models', 'provisioning', 'bench'], packages: [...VEHICLE_PACKAGES, 'typescript', 'tsx', 'aedes', 'lora-packet'] },
  simulator: { folders: ['models', 'provisioning', 'bench'], packages: [] },
  models: { folders: ['backend', 'provisioning', 'bench'], packages: [] },
  provisioning: { folders: ['bench'], packages: [] },
};
const layerRules = Object.entries(LAYERS).map(([folder, banned]) => ({
  files: [`${folder}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...banned.folders.map((f) => ({ regex: `^(\\.\\./)+${f}/`, message: `${folder}/ must not import ${f}/: imports point down only (docs/engineering.md, "Layers")` })),
          ...(banned.packages.length ? [{ group: banned.packages, message: `${folder}/ must not depend on this package: it belongs to another deployable (docs/engineering.md)` }] : []),
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'proto/generated/**', 'backend/codec/dist/**', 'coverage/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  ...layerRules,
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
  },
  {
    // The TS013 codec: an ES5.1 script whose top-level functions the network server calls.
    files: ['proto/ts013-runtime.js', 'backend/codec/ts013-codec.js'],
    languageOptions: { ecmaVersion: 5, sourceType: 'script', globals: {} },
    rules: { '@typescript-eslint/no-unused-vars': ['error', { varsIgnorePattern: '^(decodeUplink|decodeDownlink|encodeDownlink)$' }] },
  },
);
