/** Configuration of the `azure` backend, in the vocabulary of Argo's Azure artifact repository. */
import { z } from "zod";
import { keyPrefix, secretSelector, secretsNamespace } from "../../src/config.ts";

export const azureConfigSchema = z
  .strictObject({
    /** The storage account's blob endpoint, e.g. `https://myaccount.blob.core.windows.net`. */
    endpoint: z.url({ error: "expected a URL such as https://ACCOUNT.blob.core.windows.net" }),
    container: z.string({ error: "expected a container name" }).min(1, "expected a container name"),
    blobPrefix: keyPrefix.optional(),
    /** A Secret holding an account key or a SAS token. */
    accountKeySecret: secretSelector.optional(),
    /** Namespace to read the Secrets above from through the Kubernetes API (default: the pod's). */
    secretsNamespace: secretsNamespace.optional(),
    useSDKCreds: z.boolean({ error: "expected true or false" }).optional(),
    createContainerIfNotPresent: z.boolean({ error: "expected true or false" }).optional(),
  })
  .refine((c) => c.useSDKCreds || c.accountKeySecret, {
    message: "required unless useSDKCreds is true",
    path: ["accountKeySecret"],
  });

export type AzureConfig = z.infer<typeof azureConfigSchema>;
