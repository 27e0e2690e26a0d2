// Types of build-if-stale.mjs for the TypeScript that imports it (the tests' global setup).
export declare function stampOf(root?: string): string;
export declare function newestInput(root?: string): number;
export declare function isCurrent(root?: string): boolean;
export declare function buildIfStale(options?: { root?: string; compile?: (root: string) => void; log?: (line: string) => void }): boolean;
