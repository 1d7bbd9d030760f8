// The environment of a worker process that reaches the loopback EKS emulator (EKS and STS), and the IAM
// server when there is one, with one key pair, and nothing else of the user's AWS setup: no profile, session
// token, endpoint or retry settings.

export function emulatorEnv(
  endpoint: string,
  keys: { readonly accessKeyId: string; readonly secretAccessKey: string },
  region: string,
  specFile: string,
  iamEndpoint?: string,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BENCH_SCAN_SPEC: specFile,
    AWS_ENDPOINT_URL_EKS: endpoint,
    AWS_ENDPOINT_URL_STS: endpoint,
    ...(iamEndpoint !== undefined ? { AWS_ENDPOINT_URL_IAM: iamEndpoint } : {}),
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: keys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: "true",
  };
  for (const k of [
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    ...(iamEndpoint === undefined ? ["AWS_ENDPOINT_URL_IAM"] : []),
  ])
    delete env[k];
  return env;
}
