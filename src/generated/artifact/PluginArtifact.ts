// Original file: proto/artifact.proto


export interface PluginArtifact {
  'name'?: (string);
  /**
   * Opaque to Argo; for this plugin, YAML naming one backend (local, s3, azure, gcs).
   */
  'configuration'?: (string);
  'connection_timeout_seconds'?: (number);
  'key'?: (string);
}

export interface PluginArtifact__Output {
  'name': (string);
  /**
   * Opaque to Argo; for this plugin, YAML naming one backend (local, s3, azure, gcs).
   */
  'configuration': (string);
  'connection_timeout_seconds': (number);
  'key': (string);
}
