/** Types of build.mjs (plain JavaScript so that bin.mjs can run it without a TypeScript loader). */
export declare const ROOT: string;
export declare function sources(): { files: string[]; fingerprint: string };
export declare function ensureBuilt(): Promise<string>;
