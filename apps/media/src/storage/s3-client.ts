import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { S3Client } from '@aws-sdk/client-s3';
import type { MediaConfig } from '../config';

/**
 * The S3 client every call goes through. `endpoint` is the store's internal address, or the public
 * origin for the client that only signs URLs handed to browsers (a signature covers the host).
 */
export function createS3Client(s3: MediaConfig['s3'], endpoint: string = s3.endpoint): S3Client {
  const agentOptions = { keepAlive: true, maxSockets: 128 };
  return new S3Client({
    endpoint: endpoint || undefined,
    region: s3.region,
    forcePathStyle: s3.forcePathStyle,
    // Empty keys: the SDK's default chain (instance role, IRSA, ~/.aws) — what AWS deployments use.
    credentials:
      s3.accessKeyId && s3.secretAccessKey
        ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }
        : undefined,
    // The SDK's default CRC32 checksums (2025) are not understood by s3rver and several
    // S3-compatible stores; only send or check them where the operation requires one.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Standard mode: exponential backoff with jitter on throttling, 5xx and network errors.
    maxAttempts: s3.maxAttempts,
    retryMode: 'standard',
    requestHandler: {
      connectionTimeout: s3.connectTimeoutMs,
      requestTimeout: s3.requestTimeoutMs,
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
    },
  });
}
