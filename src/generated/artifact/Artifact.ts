// Original file: proto/artifact.proto

import type { PluginArtifact as _artifact_PluginArtifact, PluginArtifact__Output as _artifact_PluginArtifact__Output } from '../artifact/PluginArtifact.ts';

export interface Artifact {
  'name'?: (string);
  /**
   * Path inside the user's main container: informational, never read or written.
   */
  'path'?: (string);
  'mode'?: (number);
  'from'?: (string);
  'plugin'?: (_artifact_PluginArtifact | null);
  'optional'?: (boolean);
  /**
   * Already appended to plugin.key by the controller.
   */
  'sub_path'?: (string);
  'recurse_mode'?: (boolean);
  'from_expression'?: (string);
  'deleted'?: (boolean);
}

export interface Artifact__Output {
  'name': (string);
  /**
   * Path inside the user's main container: informational, never read or written.
   */
  'path': (string);
  'mode': (number);
  'from': (string);
  'plugin': (_artifact_PluginArtifact__Output | null);
  'optional': (boolean);
  /**
   * Already appended to plugin.key by the controller.
   */
  'sub_path': (string);
  'recurse_mode': (boolean);
  'from_expression': (string);
  'deleted': (boolean);
}
