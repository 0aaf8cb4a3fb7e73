package flight

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// TestOneFillFinishedBeforeRelease: callers of one key share one fill, and
// finish has run when any of them returns.
func TestOneFillFinishedBeforeRelease(t *testing.T) {
	var g Group[string, int]
	var runs, finished atomic.Int32
	release := make(chan struct{})
	fill := func(ctx context.Context) (int, error) {
		runs.Add(1)
		<-release
		return 7, nil
	}
	finish := func(v int, err error) { finished.Add(1) }
	res := make(chan int, 3)
	for range 3 {
		go func() {
			v, err := g.Do(context.Background(), "k", fill, finish)
			if err != nil || finished.Load() != 1 {
				v = -1
			}
			res <- v
		}()
	}
	for g.Waiting("k") < 3 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	for range 3 {
		if v := <-res; v != 7 {
			t.Fatalf("a caller got %d (or returned before finish ran)", v)
		}
	}
	if runs.Load() != 1 || finished.Load() != 1 {
		t.Fatalf("%d fills, %d finishes; want 1, 1", runs.Load(), finished.Load())
	}
	if g.Waiting("k") != 0 {
		t.Fatal("the finished fill is still waited on")
	}
}

// TestFillCancelledWhenEveryCallerLeaves: with a nil finish, a caller that
// leaves gets its context's error at once, and the fill is cancelled only
// once the last caller has left.
func TestFillCancelledWhenEveryCallerLeaves(t *testing.T) {
	var g Group[int, string]
	fillCtx := make(chan context.Context, 1)
	fill := func(ctx context.Context) (string, error) {
		fillCtx <- ctx
		<-ctx.Done()
		return "", ctx.Err()
	}
	ctx1, cancel1 := context.WithCancel(context.Background())
	ctx2, cancel2 := context.WithCancel(context.Background())
	errs := make(chan error, 2)
	go func() { _, err := g.Do(ctx1, 1, fill, nil); errs <- err }()
	fctx := <-fillCtx
	go func() { _, err := g.Do(ctx2, 1, fill, nil); errs <- err }()
	for g.Waiting(1) < 2 {
		time.Sleep(time.Millisecond)
	}
	cancel1()
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Fatalf("the caller that left got %v", err)
	}
	if fctx.Err() != nil {
		t.Fatal("the fill was cancelled while a caller still waited")
	}
	cancel2()
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Fatalf("the last caller got %v", err)
	}
	select {
	case <-fctx.Done():
	case <-time.After(time.Minute):
		t.Fatal("the fill went on after every caller had left")
	}
}
