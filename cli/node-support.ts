/**
 * Which Node.js lines deepsift runs on, and the one place that says so at run time. The
 * supported range is `engines.node` in package.json; CI runs the suite on the oldest line
 * and on the current LTS.
 */

/** The oldest major line the AWS SDK for JavaScript (v3) will keep supporting from January 2027. */
export const AWS_SDK_MIN_NODE_MAJOR = 22;

/**
 * Turns off the AWS SDK's Node-version warning, which it would print on every command
 * that builds an S3 client; a worker says it once in its start-up log instead
 * (`nodeSupportNotice`). A user who set the variable keeps their value.
 */
export function quietAwsSdkNodeWarning(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/** A one-line notice when this Node.js line is past its end of life, else undefined. */
export function nodeSupportNotice(version: string = process.version): string | undefined {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  if (!Number.isFinite(major) || major >= AWS_SDK_MIN_NODE_MAJOR) return undefined;
  return `Node.js ${version} is past its end of life; AWS SDK releases from January 2027 need Node.js ${AWS_SDK_MIN_NODE_MAJOR} or later. Upgrade to a current LTS line.`;
}
