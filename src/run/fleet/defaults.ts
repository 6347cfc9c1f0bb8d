/** The fleet's defaults, shared by the CLI's flags and the library's `lambda` options (no AWS SDK here: both load it lazily). */
export const FLEET_DEFAULTS = { concurrency: 150, maxAttempts: 6, architecture: 'arm64' } as const;
/** Lambda's own ceiling on in-flight invocations per account is 1,000 by default; allow headroom for raised quotas. */
export const MAX_CONCURRENCY = 5000;
/** A function's timeout is at most 900 s. */
export const MAX_INVOKE_TIMEOUT_MS = 900_000;
