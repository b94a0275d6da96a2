package main

// Cases of Argo's real client against what a server must survive: bad
// configurations, secrets in the wrong place, many connections at once.

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
)

// A bad configuration reaches Argo as an error carrying our message, which names the field.
func badConfiguration(ctx context.Context, env *environment) error {
	src := env.path("x")
	if _, err := writeRandomFile(src, 10); err != nil {
		return err
	}
	bad := artifact("x", "local: {drivs: [/tmp/a]}", env.prefix+"/x")
	err := mustDriver(ctx, env).Save(ctx, src, bad)
	if err == nil || !strings.Contains(err.Error(), "local.drivs") {
		return fmt.Errorf("want an error naming local.drivs, got %v", err)
	}
	fmt.Printf("Save: %v\n", err)
	_, err = mustDriver(ctx, env).ListObjects(ctx, bad)
	fmt.Printf("ListObjects: %v\n", err)
	if err == nil || !strings.Contains(err.Error(), "local.drivs") {
		return fmt.Errorf("ListObjects: want an error naming local.drivs, got %v", err)
	}
	return nil
}

// A secret written into a configuration, where it does not belong, appears in no error Argo receives.
func secretNeverEchoed(ctx context.Context, env *environment) error {
	const secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
	src := env.path("x")
	if _, err := writeRandomFile(src, 10); err != nil {
		return err
	}
	for _, configuration := range []string{
		"s3: {endpoint: e, bucket: b, secretKey: " + secret + "}",
		"s3: {endpoint: e, bucket: b, accessKeySecret: " + secret + "}",
		"s3: {endpoint: e, bucket: b, secretKey: \"" + secret + "}",
	} {
		err := mustDriver(ctx, env).Save(ctx, src, artifact("x", configuration, env.prefix+"/x"))
		if err == nil {
			return fmt.Errorf("configuration %d was accepted", len(configuration))
		}
		fmt.Printf("Save: %v\n", err)
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), secret[:12]) {
			return fmt.Errorf("the secret is in the error Argo got: %v", err)
		}
	}
	return nil
}

// Twenty connections at once, each a Save and a Load (Argo opens one per operation and
// never closes it), all succeed; the server's open files grow by the connections only.
func concurrentConnections(ctx context.Context, env *environment) error {
	before, err := openFiles(env.serverPID)
	if err != nil {
		return err
	}
	const connections = 20
	var wg sync.WaitGroup
	errs := make(chan error, connections)
	for i := range connections {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src := env.path(fmt.Sprintf("c%d", i))
			want, err := writeRandomFile(src, int64(1<<20+i))
			if err == nil {
				err = mustDriver(ctx, env).Save(ctx, src, env.local("c", fmt.Sprintf("%s/c%d", env.prefix, i)))
			}
			dest := env.path(fmt.Sprintf("c%d.tmp", i))
			if err == nil {
				err = mustDriver(ctx, env).Load(ctx, env.local("c", fmt.Sprintf("%s/c%d", env.prefix, i)), dest)
			}
			if err == nil {
				if got, _ := hashFile(dest); got != want {
					err = fmt.Errorf("connection %d loaded other bytes", i)
				}
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	after, err := openFiles(env.serverPID)
	if err != nil {
		return err
	}
	// Three drivers per goroutine, each a connection Argo never closes.
	if growth := after - before; growth > 3*connections+8 {
		return fmt.Errorf("the server's open files grew by %d for %d connections", growth, 3*connections)
	}
	return nil
}

func openFiles(pid string) (int, error) {
	if pid == "" {
		return 0, fmt.Errorf("SERVER_PID is not set")
	}
	entries, err := os.ReadDir("/proc/" + pid + "/fd")
	return len(entries), err
}

// Connects as Argo does (polling for the socket, then waiting for READY within 5 s).
func connectOnly(ctx context.Context, env *environment) error {
	_, err := env.driver(ctx)
	return err
}
