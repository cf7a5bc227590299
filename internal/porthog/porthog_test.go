package porthog_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/internal/porthog"
)

// A port freed while the hog runs is soon taken: the hog is a real
// adversary for code that frees a port and means to listen on it again.
func TestAFreedPortIsSoonTaken(t *testing.T) {
	lo, hi := porthog.Range()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() { done <- porthog.Hog(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if p := ln.Addr().(*net.TCPAddr).Port; p < lo || p > hi {
		t.Skipf("the kernel gave port %d, outside its ephemeral range %d-%d", p, lo, hi)
	}
	ln.Close()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		again, err := net.Listen("tcp", addr)
		if err != nil {
			return // taken
		}
		again.Close()
	}
	t.Fatalf("the hog never took %s, freed while it ran", addr)
}
