/**
 * `@acme/vector-native`: a Rust vector search engine for Node.js, and a load-testing and
 * scalability-analysis harness for it (or for any search target).
 */
export * from './engine/index.ts'
export * from './harness/index.ts'
export * from './harness/analysis/index.ts'
export * from './harness/sweep/index.ts'
export * from './harness/report/index.ts'
export * from './harness/target/index.ts'
export * from './corpus/index.ts'
