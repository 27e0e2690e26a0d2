// Types of bundle.mjs for the TypeScript that imports it (test/bundle.test.ts).
export declare function bundle(root?: string): void;
