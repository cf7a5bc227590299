// Package porthog takes free ports the way a busy machine does: it sweeps
// the kernel's ephemeral port range on loopback, listening on every port it
// can, and lets each go after it has taken a few hundred more. A program
// that frees a port it means to listen on again — as a disabled Toxiproxy
// proxy does — soon finds it taken. Net mode's tests run beside it to show
// that nothing of theirs depends on a port staying free.
//
// The hog holds at most [Held] ports at a time, so that the connections and
// listeners of the programs beside it still find free ports.
package porthog

import (
	"context"
	"net"
	"os"
	"strconv"
	"strings"
)

// Held is how many ports the hog holds at most.
const Held = 256

// Range returns the kernel's ephemeral port range (Linux's
// /proc/sys/net/ipv4/ip_local_port_range, 32768-60999 where it cannot be
// read).
func Range() (lo, hi int) {
	lo, hi = 32768, 60999
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return lo, hi
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return lo, hi
	}
	l, err1 := strconv.Atoi(f[0])
	h, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || l > h {
		return lo, hi
	}
	return l, h
}

// Hog sweeps the ephemeral range until ctx ends, and returns how many
// times it took a port.
func Hog(ctx context.Context) int {
	lo, hi := Range()
	var held [Held]net.Listener
	taken := 0
	defer func() {
		for _, ln := range held {
			if ln != nil {
				ln.Close()
			}
		}
	}()
	for port := lo; ctx.Err() == nil; port++ {
		if port > hi {
			port = lo
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue // taken by someone else
		}
		slot := taken % Held
		if held[slot] != nil {
			held[slot].Close()
		}
		held[slot] = ln
		taken++
	}
	return taken
}
