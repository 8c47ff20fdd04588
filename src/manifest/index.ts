/** Manifests and the names shared by constructs and handlers. Engine code: no cdktf. */
export * from "./constants";
export * from "./manifest";
