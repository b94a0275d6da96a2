/**
 * A throwaway certificate authority and a server certificate it signed, for
 * 127.0.0.1 and localhost, made with the machine's openssl. Used to serve
 * MinIO and the Kubernetes API double over HTTPS with a CA the client must be
 * told about (`caFile`, the service account's `ca.crt`).
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export interface TestCertificates {
  /** PEM of the CA that signed `cert`. */
  ca: string;
  cert: string;
  key: string;
}

export async function makeCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "test-tls-"));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  try {
    const curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(
      "req",
      "-x509",
      ...curve,
      "-keyout",
      file("ca.key"),
      "-out",
      file("ca.crt"),
      "-days",
      "2",
      "-subj",
      "/CN=multistore test CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    );
    openssl("req", ...curve, "-keyout", file("server.key"), "-out", file("server.csr"), "-subj", "/CN=127.0.0.1");
    await writeFile(
      file("ext.cnf"),
      "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
    );
    openssl(
      "x509",
      "-req",
      "-in",
      file("server.csr"),
      "-CA",
      file("ca.crt"),
      "-CAkey",
      file("ca.key"),
      "-CAcreateserial",
      "-out",
      file("server.crt"),
      "-days",
      "2",
      "-extfile",
      file("ext.cnf"),
    );
    const [ca, cert, key] = await Promise.all(
      ["ca.crt", "server.crt", "server.key"].map((name) => readFile(file(name), "utf8")),
    );
    return { ca: ca as string, cert: cert as string, key: key as string };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
