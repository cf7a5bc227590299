package bubble_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/harness/bubble"
)

// A goroutine waiting for a mutex is not durably blocked: the bubble's
// clock stops, the virtual limit never comes, and only the wall-clock
// watchdog ends the run — by panicking with the bubble's stacks, in a
// child process here.
func TestAStoppedClockIsCaughtOnTheWallClock(t *testing.T) {
	if os.Getenv("BUBBLE_WALL_CHILD") == "1" {
		var mu sync.Mutex
		bubble.Run(t, &bubble.Opts{Wall: 100 * time.Millisecond}, func(ctx context.Context, t *testing.T) {
			mu.Lock()
			mu.Lock() // never granted
		})
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAStoppedClockIsCaughtOnTheWallClock$")
	cmd.Env = append(os.Environ(), "BUBBLE_WALL_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "terminal-state: the bubble's clock stopped") ||
		!strings.Contains(string(out), "sync.(*Mutex).Lock") {
		t.Fatalf("the child ended with %v:\n%s", err, out)
	}
}
