package main

// A SaveStream client that does what Argo v4.1's plugin.go does (v4.0.5, the
// version the module proxy serves, has no SaveStream): GetCapabilities before
// every upload (UNIMPLEMENTED means fall back to Save), a metadata frame, 2 MiB
// chunks, and once a Send fails only the call's status, read through
// CloseAndRecv. The messages are built from our own proto/artifact.proto at
// run time, so its field numbers are what goes on the wire.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v4/pkg/apis/workflow/v1alpha1"
	"github.com/bufbuild/protocompile"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

const saveStreamChunkSize = 2 * 1024 * 1024

type streamClient struct {
	conn *grpc.ClientConn
	file protoreflect.FileDescriptor
}

func newStreamClient(ctx context.Context, env *environment) (*streamClient, error) {
	protoDir, err := filepath.Abs(filepath.Join("..", "..", "proto"))
	if dir := os.Getenv("PROTO_DIR"); dir != "" {
		protoDir, err = dir, nil
	}
	if err != nil {
		return nil, err
	}
	compiler := protocompile.Compiler{Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{ImportPaths: []string{protoDir}})}
	files, err := compiler.Compile(ctx, "artifact.proto")
	if err != nil {
		return nil, fmt.Errorf("compiling %s/artifact.proto: %w", protoDir, err)
	}
	conn, err := grpc.NewClient("unix://"+env.socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	return &streamClient{conn: conn, file: files[0]}, nil
}

func (c *streamClient) message(name string) *dynamicpb.Message {
	return dynamicpb.NewMessage(c.file.Messages().ByName(protoreflect.Name(name)))
}

// artifactMessage is Argo's conversion of the artifact (convertToGRPC), in our proto's terms.
func (c *streamClient) artifactMessage(a *wfv1.Artifact) *dynamicpb.Message {
	m := c.message("Artifact")
	m.Set(m.Descriptor().Fields().ByName("name"), protoreflect.ValueOfString(a.Name))
	p := c.message("PluginArtifact")
	fields := p.Descriptor().Fields()
	p.Set(fields.ByName("name"), protoreflect.ValueOfString(string(a.Plugin.Name)))
	p.Set(fields.ByName("configuration"), protoreflect.ValueOfString(a.Plugin.Configuration))
	p.Set(fields.ByName("key"), protoreflect.ValueOfString(a.Plugin.Key))
	m.Set(m.Descriptor().Fields().ByName("plugin"), protoreflect.ValueOfMessage(p))
	return m
}

func (c *streamClient) supportsSaveStream(ctx context.Context) (bool, error) {
	resp := c.message("GetCapabilitiesResponse")
	err := c.conn.Invoke(ctx, "/artifact.ArtifactService/GetCapabilities", c.message("GetCapabilitiesRequest"), resp)
	if status.Code(err) == codes.Unimplemented {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("get capabilities failed: %w", err)
	}
	return resp.Get(resp.Descriptor().Fields().ByName("supports_save_stream")).Bool(), nil
}

// saveStream uploads reader as v4.1's Driver.SaveStream does.
func (c *streamClient) saveStream(ctx context.Context, reader io.Reader, a *wfv1.Artifact) error {
	supported, err := c.supportsSaveStream(ctx)
	if err != nil {
		return err
	}
	if !supported {
		return errors.New("the plugin does not advertise SaveStream")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.conn.NewStream(ctx, &grpc.StreamDesc{StreamName: "SaveStream", ClientStreams: true}, "/artifact.ArtifactService/SaveStream")
	if err != nil {
		return fmt.Errorf("save stream failed to open: %w", err)
	}
	closeAndRecv := func() (*dynamicpb.Message, error) {
		if err := stream.CloseSend(); err != nil {
			return nil, err
		}
		resp := c.message("SaveArtifactResponse")
		return resp, stream.RecvMsg(resp)
	}
	sendFrame := func(req proto.Message, action string) error {
		sendErr := stream.SendMsg(req)
		if sendErr == nil {
			return nil
		}
		if _, recvErr := closeAndRecv(); recvErr != nil {
			return fmt.Errorf("save stream failed %s: %w", action, recvErr)
		}
		return fmt.Errorf("save stream failed %s: %w", action, sendErr)
	}
	first := c.message("SaveStreamArtifactRequest")
	first.Set(first.Descriptor().Fields().ByName("output_artifact"), protoreflect.ValueOfMessage(c.artifactMessage(a)))
	if err := sendFrame(first, "to send metadata"); err != nil {
		return err
	}
	buf := make([]byte, saveStreamChunkSize)
	for {
		n, readErr := reader.Read(buf)
		if n > 0 {
			frame := c.message("SaveStreamArtifactRequest")
			frame.Set(frame.Descriptor().Fields().ByName("chunk"), protoreflect.ValueOfBytes(append([]byte(nil), buf[:n]...)))
			if err := sendFrame(frame, "mid-transfer"); err != nil {
				return err
			}
		}
		if errors.Is(readErr, io.EOF) {
			break
		}
		if readErr != nil {
			return fmt.Errorf("save stream failed to read artifact content: %w", readErr)
		}
	}
	resp, err := closeAndRecv()
	if err != nil {
		return fmt.Errorf("save stream failed: %w", err)
	}
	if !resp.Get(resp.Descriptor().Fields().ByName("success")).Bool() {
		return fmt.Errorf("save stream failed: %s", resp.Get(resp.Descriptor().Fields().ByName("error")).String())
	}
	return nil
}

// SaveStream of 0 B and 10 MiB, read back through Argo's OpenStream.
func saveStream(ctx context.Context, env *environment) error {
	client, err := newStreamClient(ctx, env)
	if err != nil {
		return err
	}
	for _, size := range []int64{0, 10 << 20} {
		content := make([]byte, size)
		_, _ = rand.Read(content)
		sum := sha256.Sum256(content)
		key := fmt.Sprintf("%s/uploaded-%d", env.prefix, size)
		if err := client.saveStream(ctx, strings.NewReader(string(content)), env.local("upload", key)); err != nil {
			return fmt.Errorf("save stream of %d B: %w", size, err)
		}
		stream, err := mustDriver(ctx, env).OpenStream(ctx, env.local("upload", key))
		if err != nil {
			return err
		}
		got, n, err := hashReader(stream)
		if err != nil || n != size || got != hex.EncodeToString(sum[:]) {
			return fmt.Errorf("read back %d of %d B, same bytes %v, error %v", n, size, got == hex.EncodeToString(sum[:]), err)
		}
	}
	return nil
}

// A SaveStream the server refuses while the client is still sending reaches Argo with our
// message (not "EOF"), and stores nothing.
func saveStreamRefused(ctx context.Context, env *environment) error {
	client, err := newStreamClient(ctx, env)
	if err != nil {
		return err
	}
	body := io.LimitReader(rand.Reader, 64<<20) // far more than the server reads before refusing
	deadline, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err = client.saveStream(deadline, body, artifact("upload", "local: {drivs: [/tmp/a]}", env.prefix+"/refused"))
	fmt.Printf("SaveStream, bad configuration: %v\n", err)
	if err == nil || !strings.Contains(err.Error(), "local.drivs") {
		return fmt.Errorf("want our message naming local.drivs, got %v", err)
	}
	if status.Code(errors.Unwrap(err)) == codes.OK {
		return fmt.Errorf("the refusal came without a gRPC status: %v", err)
	}
	// A refused key, sent by a good configuration.
	err = client.saveStream(deadline, io.LimitReader(rand.Reader, 64<<20), env.local("upload", "../escape"))
	fmt.Printf("SaveStream, refused key: %v\n", err)
	if err == nil || !strings.Contains(err.Error(), "..") {
		return fmt.Errorf("want the refusal of the key '../escape', got %v", err)
	}
	return nil
}
