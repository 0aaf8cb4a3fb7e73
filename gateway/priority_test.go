package gateway

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestBackgroundRequestsLeaveASlotAndQueueBehindUsers(t *testing.T) {
	s := newSlots(3)
	ctx := context.Background()
	bg := Background(ctx)
	if !IsBackground(bg) || IsBackground(ctx) {
		t.Fatal("Background does not mark the context")
	}
	// Two background requests take two slots; a third waits although a slot is free.
	for range 2 {
		if err := s.acquire(bg, true); err != nil {
			t.Fatal(err)
		}
	}
	third := make(chan error, 1)
	go func() { third <- s.acquire(bg, true) }()
	waitQueued(t, s, 0, 1)
	// The free slot is a user's at once.
	if err := s.acquire(ctx, false); err != nil {
		t.Fatal(err)
	}
	// Full: a user queued after the background one is still served first.
	user := make(chan error, 1)
	go func() { user <- s.acquire(ctx, false) }()
	waitQueued(t, s, 1, 1)
	s.release(true)
	if err := <-user; err != nil {
		t.Fatal(err)
	}
	select {
	case <-third:
		t.Fatal("a background request went before a waiting user's")
	default:
	}
	s.release(false)
	if err := <-third; err != nil {
		t.Fatal(err)
	}
	if all, b := s.inFlight(); all != 3 || b != 2 {
		t.Fatalf("in flight %d (background %d); want 3 (2)", all, b)
	}
}

func TestCancelledWaiterLeavesTheQueue(t *testing.T) {
	s := newSlots(1)
	if err := s.acquire(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.acquire(ctx, false) }()
	waitQueued(t, s, 1, 0)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	s.release(false)
	if all, _ := s.inFlight(); all != 0 {
		t.Fatalf("%d in flight after the cancelled waiter left; want 0", all)
	}
	// A lone background request may take the only slot (bgMax is at least 1).
	if err := s.acquire(Background(context.Background()), true); err != nil {
		t.Fatal(err)
	}
}

func waitQueued(t *testing.T, s *slots, users, bgs int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		u, b := len(s.user), len(s.bg)
		s.mu.Unlock()
		if u == users && b == bgs {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queued %d users, %d background; want %d, %d", u, b, users, bgs)
		}
		time.Sleep(time.Millisecond)
	}
}
