package main

// Operations for `npm run bench` (bench/argo.ts): one transfer, timed in
// this process, printed as JSON with its wall and CPU seconds. Argo's own
// S3 driver runs in-process, as Argo's executor and argo-server run it; the
// plugin is driven through Argo's plugin client over the socket, as Argo
// drives it (the plugin's own CPU is measured by the bench from /proc).
//
//	interop bench <operation> <path or -> <key>
//
// Operations: argo-s3-save, argo-s3-load, argo-s3-open, plugin-save,
// plugin-load, plugin-open, plugin-save-stream (v4.1's SaveStream client),
// ceiling-open (drains OpenStream from whatever serves PLUGIN_SOCKET), and
// serve-ceiling <socket> <bytes> (a grpc-go OpenStream server of 1 MiB frames).

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"

	argoapi "github.com/argoproj/argo-workflows/v4/pkg/apiclient/artifact"
	wfv1 "github.com/argoproj/argo-workflows/v4/pkg/apis/workflow/v1alpha1"
	"google.golang.org/grpc"
)

func cpuSeconds() float64 {
	var usage syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &usage)
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano()).Seconds()
}

func runBench(ctx context.Context, env *environment, args []string) error {
	if len(args) >= 3 && args[0] == "serve-ceiling" {
		total, err := strconv.ParseInt(args[2], 10, 64)
		if err != nil {
			return err
		}
		return serveCeiling(args[1], total)
	}
	if len(args) != 3 {
		return fmt.Errorf("usage: interop bench <operation> <path> <key>")
	}
	op, path, key := args[0], args[1], args[2]
	started, cpu := time.Now(), cpuSeconds()
	var bytes int64
	var err error
	switch op {
	case "argo-s3-save", "argo-s3-load", "argo-s3-open":
		var argo interface {
			Save(context.Context, string, *wfv1.Artifact) error
			Load(context.Context, *wfv1.Artifact, string) error
			OpenStream(context.Context, *wfv1.Artifact) (io.ReadCloser, error)
		}
		argo, err = env.argoS3()
		if err != nil {
			return err
		}
		switch op {
		case "argo-s3-save":
			err = argo.Save(ctx, path, env.s3Artifact(key))
		case "argo-s3-load":
			err = argo.Load(ctx, env.s3Artifact(key), path)
		default:
			bytes, err = drainStream(argo.OpenStream(ctx, env.s3Artifact(key)))
		}
	case "plugin-save":
		err = mustDriver(ctx, env).Save(ctx, path, env.pluginS3(key))
	case "plugin-load":
		err = mustDriver(ctx, env).Load(ctx, env.pluginS3(key), path)
	case "plugin-open", "ceiling-open":
		bytes, err = drainStream(mustDriver(ctx, env).OpenStream(ctx, env.pluginS3(key)))
	case "plugin-save-stream":
		var client *streamClient
		var file *os.File
		if client, err = newStreamClient(ctx, env); err == nil {
			if file, err = os.Open(path); err == nil {
				defer file.Close()
				err = client.saveStream(ctx, file, env.pluginS3(key))
			}
		}
	default:
		return fmt.Errorf("no bench operation %q", op)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"seconds": time.Since(started).Seconds(), "cpuSeconds": cpuSeconds() - cpu, "bytes": bytes,
	})
}

func drainStream(stream io.ReadCloser, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	defer stream.Close()
	return io.Copy(io.Discard, stream)
}

// ceilingServer answers OpenStream with `total` bytes in 1 MiB frames from one buffer: the
// socket hop as a Go plugin would serve it, beside the grpc-js ceiling server.
type ceilingServer struct {
	argoapi.UnimplementedArtifactServiceServer
	total int64
	frame []byte
}

func (s *ceilingServer) OpenStream(_ *argoapi.OpenStreamRequest, stream argoapi.ArtifactService_OpenStreamServer) error {
	for sent := int64(0); sent < s.total; sent += int64(len(s.frame)) {
		frame := s.frame[:min(int64(len(s.frame)), s.total-sent)]
		if err := stream.Send(&argoapi.OpenStreamResponse{Data: frame}); err != nil {
			return err
		}
	}
	return stream.Send(&argoapi.OpenStreamResponse{IsEnd: true})
}

func serveCeiling(socket string, total int64) error {
	_ = os.Remove(socket)
	listener, err := net.Listen("unix", socket)
	if err != nil {
		return err
	}
	server := grpc.NewServer()
	argoapi.RegisterArtifactServiceServer(server, &ceilingServer{total: total, frame: make([]byte, 1<<20)})
	fmt.Fprintln(os.Stderr, `{"msg":"ready"}`)
	return server.Serve(listener)
}
