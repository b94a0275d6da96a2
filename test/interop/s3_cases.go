package main

// Argo's built-in S3 driver (workflow/artifacts/s3, in-process, as the
// executor runs it) and our plugin's s3 backend against the same MinIO: what
// one writes, the other reads, for files, directories, and keys with spaces
// and non-ASCII letters. So a repository can move from one to the other.

import (
	"context"
	"fmt"
	"os"

	wfv1 "github.com/argoproj/argo-workflows/v4/pkg/apis/workflow/v1alpha1"
	argos3 "github.com/argoproj/argo-workflows/v4/workflow/artifacts/s3"
)

func (e *environment) argoS3() (*argos3.ArtifactDriver, error) {
	if e.s3.endpoint == "" || e.s3.config == "" {
		return nil, fmt.Errorf("S3_ENDPOINT and S3_CONFIG must be set")
	}
	return &argos3.ArtifactDriver{Endpoint: e.s3.endpoint, Region: "us-east-1", Secure: false, AccessKey: e.s3.accessKey, SecretKey: e.s3.secretKey}, nil
}

func (e *environment) s3Artifact(key string) *wfv1.Artifact {
	return &wfv1.Artifact{Name: "a", ArtifactLocation: wfv1.ArtifactLocation{S3: &wfv1.S3Artifact{S3Bucket: wfv1.S3Bucket{Bucket: e.s3.bucket}, Key: key}}}
}

func (e *environment) pluginS3(key string) *wfv1.Artifact {
	return artifact("a", e.s3.config, key)
}

// The keys both ways use: a plain one, one with spaces, one with non-ASCII letters.
func (e *environment) crossKeys() []string {
	return []string{e.prefix + "/plain", e.prefix + "/with spaces/a b", e.prefix + "/ünïcødé/日本"}
}

type saver interface {
	Save(ctx context.Context, path string, a *wfv1.Artifact) error
}
type loader interface {
	Load(ctx context.Context, a *wfv1.Artifact, path string) error
}

func crossCheck(ctx context.Context, env *environment, save func(key string) (saver, *wfv1.Artifact), load func(key string) (loader, *wfv1.Artifact)) error {
	for _, key := range env.crossKeys() {
		// A file.
		src := env.path("file")
		want, err := writeRandomFile(src, 5<<20+3)
		if err != nil {
			return err
		}
		s, a := save(key + ".tgz")
		if err := s.Save(ctx, src, a); err != nil {
			return fmt.Errorf("save %q: %w", key, err)
		}
		dest := env.path("file.tmp")
		l, a := load(key + ".tgz")
		if err := l.Load(ctx, a, dest); err != nil {
			return fmt.Errorf("load %q: %w", key, err)
		}
		if got, _ := hashFile(dest); got != want {
			return fmt.Errorf("file %q reads back different", key)
		}
		// A directory.
		dir := env.path("dir")
		wantTree, err := sampleTree(dir)
		if err != nil {
			return err
		}
		s, a = save(key)
		if err := s.Save(ctx, dir, a); err != nil {
			return fmt.Errorf("save directory %q: %w", key, err)
		}
		destDir := env.path("dir.tmp")
		l, a = load(key)
		if err := l.Load(ctx, a, destDir); err != nil {
			return fmt.Errorf("load directory %q: %w", key, err)
		}
		gotTree, err := tree(destDir)
		if err != nil {
			return err
		}
		if err := sameTree(wantTree, gotTree); err != nil {
			return fmt.Errorf("directory %q: %w", key, err)
		}
		_ = os.RemoveAll(dir)
	}
	return nil
}

// Written by Argo's S3 driver, read by the plugin.
func argoS3ThenPlugin(ctx context.Context, env *environment) error {
	argo, err := env.argoS3()
	if err != nil {
		return err
	}
	return crossCheck(ctx, env,
		func(key string) (saver, *wfv1.Artifact) { return argo, env.s3Artifact(key) },
		func(key string) (loader, *wfv1.Artifact) { return mustDriver(ctx, env), env.pluginS3(key) })
}

// Written by the plugin, read by Argo's S3 driver.
func pluginThenArgoS3(ctx context.Context, env *environment) error {
	argo, err := env.argoS3()
	if err != nil {
		return err
	}
	return crossCheck(ctx, env,
		func(key string) (saver, *wfv1.Artifact) { return mustDriver(ctx, env), env.pluginS3(key) },
		func(key string) (loader, *wfv1.Artifact) { return argo, env.s3Artifact(key) })
}
