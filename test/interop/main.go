// Command interop drives our plugin server the way Argo does: with Argo's own
// plugin client (github.com/argoproj/argo-workflows/v4, workflow/artifacts/plugin),
// with a SaveStream client that does what v4.1's plugin.go does, and with
// Argo's built-in S3 driver against the same MinIO. test/interop.test.ts runs
// one case per process and reads its verdict from the exit status and stderr.
//
// Inputs come from the environment: PLUGIN_SOCKET, LOCAL_CONFIG (a local
// store configuration), WORK_DIR (a fresh folder the plugin may read and
// write), SERVER_PID, and for the S3 cases S3_CONFIG, S3_ENDPOINT, S3_BUCKET,
// S3_ACCESS_KEY, S3_SECRET_KEY.
package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/argoproj/argo-workflows/v4/util/logging"
)

// A case returns nil when everything it checked held.
type interopCase func(ctx context.Context, env *environment) error

var cases = map[string]interopCase{
	"save-load-file":          saveLoadFile,
	"save-load-directory":     saveLoadDirectory,
	"open-stream-sizes":       openStreamSizes,
	"open-stream-directory":   openStreamDirectory,
	"delete":                  deleteArtifacts,
	"bad-configuration":       badConfiguration,
	"secret-never-echoed":     secretNeverEchoed,
	"concurrent-connections":  concurrentConnections,
	"connect":                 connectOnly,
	"save-stream":             saveStream,
	"save-stream-refused":     saveStreamRefused,
	"argo-s3-then-plugin":     argoS3ThenPlugin,
	"plugin-then-argo-s3":     pluginThenArgoS3,
	"list-objects-over-limit": listObjectsOverLimit,
}

func main() {
	if len(os.Args) < 2 || (len(os.Args) != 2 && os.Args[1] != "bench") {
		fmt.Fprintln(os.Stderr, "usage: interop <case> | list | bench <operation> ...")
		os.Exit(2)
	}
	if os.Args[1] == "list" {
		names := make([]string, 0, len(cases))
		for name := range cases {
			names = append(names, name)
		}
		sort.Strings(names)
		fmt.Println(strings.Join(names, "\n"))
		return
	}
	run, ok := cases[os.Args[1]]
	if os.Args[1] == "bench" {
		run, ok = func(ctx context.Context, env *environment) error { return runBench(ctx, env, os.Args[2:]) }, true
	}
	if !ok {
		fmt.Fprintf(os.Stderr, "no case %q\n", os.Args[1])
		os.Exit(2)
	}
	// Argo's driver requires a logger in the context (logging.RequireLoggerFromContext).
	logger := logging.NewSlogLoggerCustom(logging.Warn, logging.Text, os.Stderr)
	ctx, cancel := context.WithTimeout(logging.WithLogger(context.Background(), logger), 30*time.Minute)
	defer cancel()
	var env *environment
	var err error
	if len(os.Args) < 3 || os.Args[2] != "serve-ceiling" { // the one mode that needs no plugin
		env, err = loadEnvironment()
	}
	if err == nil {
		err = run(ctx, env)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	if os.Args[1] != "bench" {
		fmt.Printf("ok %s\n", os.Args[1])
	}
}
