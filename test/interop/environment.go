package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v4/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v4/workflow/artifacts/plugin"
)

// pluginName is the name the artifacts carry, as an admin registers it in artifactDrivers.
const pluginName = "multistore"

type environment struct {
	socket      string
	localConfig string
	workDir     string
	serverPID   string
	// A prefix no other case uses: every case can run against the same store.
	prefix string
	s3     s3Settings
}

type s3Settings struct {
	config, endpoint, bucket, accessKey, secretKey string
}

func loadEnvironment() (*environment, error) {
	env := &environment{
		socket:      os.Getenv("PLUGIN_SOCKET"),
		localConfig: os.Getenv("LOCAL_CONFIG"),
		workDir:     os.Getenv("WORK_DIR"),
		serverPID:   os.Getenv("SERVER_PID"),
		prefix:      "interop/" + randomHex(6),
		s3: s3Settings{
			config:    os.Getenv("S3_CONFIG"),
			endpoint:  os.Getenv("S3_ENDPOINT"),
			bucket:    os.Getenv("S3_BUCKET"),
			accessKey: os.Getenv("S3_ACCESS_KEY"),
			secretKey: os.Getenv("S3_SECRET_KEY"),
		},
	}
	if env.socket == "" || env.localConfig == "" || env.workDir == "" {
		return nil, fmt.Errorf("PLUGIN_SOCKET, LOCAL_CONFIG and WORK_DIR must be set")
	}
	return env, nil
}

// driver connects as Argo's executor and argo-server do: a new driver for every operation,
// with the default 5 s connection timeout, never closed.
func (e *environment) driver(ctx context.Context) (*plugin.Driver, error) {
	return plugin.NewDriver(ctx, pluginName, e.socket, 5*time.Second)
}

// artifact is what Argo sends for a plugin artifact with this configuration and key.
func artifact(name, configuration, key string) *wfv1.Artifact {
	return &wfv1.Artifact{
		Name: name,
		ArtifactLocation: wfv1.ArtifactLocation{
			Plugin: &wfv1.PluginArtifact{
				Name:          pluginName,
				Configuration: configuration,
				Key:           key,
			},
		},
	}
}

func (e *environment) local(name, key string) *wfv1.Artifact {
	return artifact(name, e.localConfig, key)
}

// path is a fresh path in the work folder (nothing there yet, as Argo's Load paths).
func (e *environment) path(name string) string {
	return filepath.Join(e.workDir, randomHex(4)+"-"+name)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// writeRandomFile writes size random bytes at path and returns their SHA-256.
func writeRandomFile(path string, size int64) (string, error) {
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), rand.Reader, size); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), f.Close()
}

func hashReader(r io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sum, _, err := hashReader(f)
	return sum, err
}

// tree maps every regular file under root, by its slash-separated relative path, to its SHA-256.
func tree(root string) (map[string]string, error) {
	files := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		sum, err := hashFile(path)
		files[filepath.ToSlash(rel)] = sum
		return err
	})
	return files, err
}

// sampleTree writes the directory every directory case uses: nesting, an empty file,
// a file over a frame, names with spaces and non-ASCII letters.
func sampleTree(root string) (map[string]string, error) {
	sizes := map[string]int64{
		"a.txt":                17,
		"sub/b.bin":            3<<20 + 5,
		"sub/deeper/empty":     0,
		"name with spaces.txt": 100,
		"ünïcødé/日本語.txt":      2048,
	}
	for rel, size := range sizes {
		path := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		if _, err := writeRandomFile(path, size); err != nil {
			return nil, err
		}
	}
	return tree(root)
}

func sameTree(want, got map[string]string) error {
	if len(want) != len(got) {
		return fmt.Errorf("tree has %d files, want %d: %v", len(got), len(want), keys(got))
	}
	for rel, sum := range want {
		if got[rel] != sum {
			return fmt.Errorf("file %q differs or is missing (got %q)", rel, got[rel])
		}
	}
	return nil
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
