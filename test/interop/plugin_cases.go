package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/argoproj/argo-workflows/v4/workflow/artifacts/plugin"
)

// Save of a file (the .tgz the executor hands over), Load to a fresh path, and Load of a missing key.
func saveLoadFile(ctx context.Context, env *environment) error {
	src := env.path("out.tgz")
	want, err := writeRandomFile(src, 3<<20+7)
	if err != nil {
		return err
	}
	key := env.prefix + "/out.tgz"
	if err := mustDriver(ctx, env).Save(ctx, src, env.local("out", key)); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	dest := env.path("in.tmp")
	if err := mustDriver(ctx, env).Load(ctx, env.local("in", key), dest); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if got, err := hashFile(dest); err != nil || got != want {
		return fmt.Errorf("loaded file differs (%v)", err)
	}
	missing := env.prefix + "/no-such-artifact.tgz"
	err = mustDriver(ctx, env).Load(ctx, env.local("in", missing), env.path("missing.tmp"))
	fmt.Printf("Load of a missing key: %v\n", err)
	if err == nil || !strings.Contains(err.Error(), missing) {
		return fmt.Errorf("load of a missing key: want an error naming %q, got %v", missing, err)
	}
	return nil
}

// Save of a directory (archive none), Load of it, ListObjects and IsDirectory.
func saveLoadDirectory(ctx context.Context, env *environment) error {
	src := env.path("dir")
	want, err := sampleTree(src)
	if err != nil {
		return err
	}
	key := env.prefix + "/dir"
	if err := mustDriver(ctx, env).Save(ctx, src, env.local("dir", key)); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	dest := env.path("dir.tmp")
	if err := mustDriver(ctx, env).Load(ctx, env.local("dir", key), dest); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	got, err := tree(dest)
	if err != nil {
		return err
	}
	if err := sameTree(want, got); err != nil {
		return fmt.Errorf("loaded tree: %w", err)
	}
	listed, err := mustDriver(ctx, env).ListObjects(ctx, env.local("dir", key))
	if err != nil {
		return fmt.Errorf("list: %w", err)
	}
	wantKeys := make([]string, 0, len(want))
	for rel := range want {
		wantKeys = append(wantKeys, key+"/"+rel)
	}
	sort.Strings(wantKeys)
	sort.Strings(listed)
	if !slices.Equal(listed, wantKeys) {
		return fmt.Errorf("ListObjects = %q, want %q", listed, wantKeys)
	}
	file := env.prefix + "/plain.txt"
	plain := env.path("plain.txt")
	if _, err := writeRandomFile(plain, 10); err != nil {
		return err
	}
	if err := mustDriver(ctx, env).Save(ctx, plain, env.local("plain", file)); err != nil {
		return err
	}
	for _, probe := range []struct {
		key  string
		want bool
	}{{key, true}, {file, false}, {env.prefix + "/missing", false}} {
		isDir, err := mustDriver(ctx, env).IsDirectory(ctx, env.local("probe", probe.key))
		if err != nil || isDir != probe.want {
			return fmt.Errorf("IsDirectory(%q) = %v, %v; want %v, no error", probe.key, isDir, err, probe.want)
		}
	}
	return nil
}

// OpenStream of objects around the frame sizes, read through Argo's io.ReadCloser.
func openStreamSizes(ctx context.Context, env *environment) error {
	for _, size := range []int64{0, 1, 2 << 20, 2<<20 + 1, 100 << 20} {
		src := env.path("blob")
		want, err := writeRandomFile(src, size)
		if err != nil {
			return err
		}
		key := fmt.Sprintf("%s/blob-%d", env.prefix, size)
		if err := mustDriver(ctx, env).Save(ctx, src, env.local("blob", key)); err != nil {
			return fmt.Errorf("save %d B: %w", size, err)
		}
		_ = os.Remove(src)
		stream, err := mustDriver(ctx, env).OpenStream(ctx, env.local("blob", key))
		if err != nil {
			return fmt.Errorf("open stream of %d B: %w", size, err)
		}
		got, n, err := hashReader(stream)
		_ = stream.Close()
		if err != nil || n != size || got != want {
			return fmt.Errorf("stream of %d B: read %d B, same bytes %v, error %v", size, n, got == want, err)
		}
	}
	return nil
}

// OpenStream of a directory is a tar.gz of it, which Go's archive/tar reads back whole.
func openStreamDirectory(ctx context.Context, env *environment) error {
	src := env.path("dir")
	want, err := sampleTree(src)
	if err != nil {
		return err
	}
	key := env.prefix + "/site"
	if err := mustDriver(ctx, env).Save(ctx, src, env.local("site", key)); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	stream, err := mustDriver(ctx, env).OpenStream(ctx, env.local("site", key))
	if err != nil {
		return fmt.Errorf("open stream: %w", err)
	}
	defer stream.Close()
	gz, err := gzip.NewReader(stream)
	if err != nil {
		return fmt.Errorf("not gzip: %w", err)
	}
	got := map[string]string{}
	entries := tar.NewReader(gz)
	for {
		header, err := entries.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("tar: %w", err)
		}
		if header.Typeflag != tar.TypeReg {
			continue
		}
		// Entries are named <basename of key>/<relative path>, like the executor's .tgz.
		rel, ok := strings.CutPrefix(header.Name, path.Base(key)+"/")
		if !ok {
			return fmt.Errorf("tar entry %q is not under %q", header.Name, path.Base(key))
		}
		h := sha256.New()
		if _, err := io.Copy(h, entries); err != nil {
			return err
		}
		got[rel] = hex.EncodeToString(h.Sum(nil))
	}
	return sameTree(want, got)
}

// Delete of a file, of a directory and of a missing key all succeed (artifact GC), and the artifacts are gone.
func deleteArtifacts(ctx context.Context, env *environment) error {
	file, dir := env.prefix+"/gone.txt", env.prefix+"/gone-dir"
	src := env.path("gone.txt")
	if _, err := writeRandomFile(src, 1000); err != nil {
		return err
	}
	tree := env.path("gone-dir")
	if _, err := sampleTree(tree); err != nil {
		return err
	}
	if err := mustDriver(ctx, env).Save(ctx, src, env.local("f", file)); err != nil {
		return err
	}
	if err := mustDriver(ctx, env).Save(ctx, tree, env.local("d", dir)); err != nil {
		return err
	}
	for _, key := range []string{file, dir, env.prefix + "/never-was"} {
		if err := mustDriver(ctx, env).Delete(ctx, env.local("x", key)); err != nil {
			return fmt.Errorf("delete %q: %w", key, err)
		}
	}
	for _, key := range []string{file, dir} {
		if err := mustDriver(ctx, env).Load(ctx, env.local("x", key), env.path("after")); err == nil {
			return fmt.Errorf("load of %q after its delete succeeded", key)
		}
	}
	return nil
}

// mustDriver connects, or ends the case: every operation gets a new driver, as in Argo.
func mustDriver(ctx context.Context, env *environment) *plugin.Driver {
	d, err := env.driver(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: cannot connect: %v\n", err)
		os.Exit(1)
	}
	return d
}
