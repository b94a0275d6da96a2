package main

// ListObjects replies above what Argo's client accepts (4 MiB, grpc-go's
// default receive limit): the plugin answers with a message that names the
// count and the limit, instead of Argo failing on an opaque size error.

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// putEmptyObjects writes count empty objects under dir with keys of 986 bytes, straight
// into the bucket (as thousands of files saved by other means would be).
func putEmptyObjects(ctx context.Context, env *environment, dir string, count int) error {
	client, err := minio.New(env.s3.endpoint, &minio.Options{Creds: credentials.NewStaticV4(env.s3.accessKey, env.s3.secretKey, ""), Secure: false})
	if err != nil {
		return err
	}
	long := strings.Repeat("x", 190)
	keys := make(chan string)
	errs := make(chan error, 32)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for key := range keys {
				if _, err := client.PutObject(ctx, env.s3.bucket, key, bytes.NewReader(nil), 0, minio.PutObjectOptions{}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := range count {
		keys <- fmt.Sprintf("%s/%s/%s/%s/%s/%s/%05d", dir, long, long, long, long, long, i)
	}
	close(keys)
	wg.Wait()
	close(errs)
	return <-errs
}

func listObjectsOverLimit(ctx context.Context, env *environment) error {
	fits, over := env.prefix+"/fits", env.prefix+"/over"
	// 4,000 keys of 986 bytes make a reply of 3,956,002 bytes; 4,800 would make 4,747,202.
	if err := putEmptyObjects(ctx, env, fits, 4000); err != nil {
		return err
	}
	if err := putEmptyObjects(ctx, env, over, 4800); err != nil {
		return err
	}
	listed, err := mustDriver(ctx, env).ListObjects(ctx, env.pluginS3(fits))
	if err != nil || len(listed) != 4000 {
		return fmt.Errorf("listing 4,000 keys: got %d, %v", len(listed), err)
	}
	long := strings.Repeat("x", 190)
	for i, key := range listed {
		if want := fmt.Sprintf("%s/%s/%s/%s/%s/%s/%05d", fits, long, long, long, long, long, i); key != want {
			return fmt.Errorf("listed key %d is %q, want %q", i, key, want)
		}
	}
	_, err = mustDriver(ctx, env).ListObjects(ctx, env.pluginS3(over))
	fmt.Printf("ListObjects of 4,800 long keys: %v\n", err)
	// Listing stops where the reply outgrows the limit: after the 4,241st key.
	if err == nil || !strings.Contains(err.Error(), "at least 4241 objects") || !strings.Contains(err.Error(), "4 MiB") {
		return fmt.Errorf("want an error naming at least 4241 objects and the 4 MiB limit, got %v", err)
	}
	return nil
}
