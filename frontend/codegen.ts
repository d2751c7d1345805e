import type { CodegenConfig } from "@graphql-codegen/cli";

// Types for every operation in src/, from the server's own schema files.
const config: CodegenConfig = {
  schema: "../graph/schema/*.graphqls",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**/*"],
  ignoreNoDocuments: true,
  generates: {
    "src/gql/": {
      preset: "client",
      config: {
        scalars: { Time: "string", Cursor: "string", JSON: "unknown", Map: "Record<string, unknown>", Int64: "number", Duration: "string" },
        enumsAsTypes: true,
        useTypeImports: true,
      },
      presetConfig: { fragmentMasking: false },
    },
  },
};
export default config;
