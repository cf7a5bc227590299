package netrig_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/harness/netrig"
	"github.com/chaosrun/chaosrun/reference/store/pgstore/pgstoretest"
)

// parent is a harness that starts an engine process as a rig does (a
// sleeping one will do), prints its pid and waits to be killed.
func parent() {
	cmd := exec.Command("sleep", "600")
	netrig.DieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(cmd.Process.Pid)
	select {}
}

// leaker makes a rig on the Postgres dsn names, prints the rig's database
// and waits to be killed before it could drop it.
func leaker(dsn string) {
	r, err := netrig.New(context.Background(), &netrig.Options{DSN: dsn})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(r.Database())
	select {}
}

// gone reports whether a process has ended: no such process, or a zombie
// that nobody reaps yet.
func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] == "Z"
}

// An engine process dies with the harness that started it, even when the
// harness is killed with SIGKILL and can clean nothing up.
func TestEngineProcessesDieWithTheirHarness(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc: the parent-death signal is Linux's")
	}
	h := self(envParent + "=1")
	pid, err := strconv.Atoi(readLine(t, h))
	if err != nil {
		t.Fatal(err)
	}
	if gone(pid) {
		t.Fatalf("the engine process %d is not running", pid)
	}
	if err := h.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = h.Wait()
	for deadline := time.Now().Add(10 * time.Second); !gone(pid); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("engine process %d outlived its harness, killed with SIGKILL", pid)
		}
	}
}

// A rig drops, as it starts, the databases of rigs whose process was killed
// before it could drop them — and not those of a live rig.
func TestNewSweepsWhatAKilledRunLeft(t *testing.T) {
	t.Parallel()
	c := pgstoretest.NewCluster(t)
	killed := self(envLeaker + "=" + c.DSN())
	left := readLine(t, killed)
	live := self(envLeaker + "=" + c.DSN())
	alive := readLine(t, live)
	t.Cleanup(func() {
		_ = live.Process.Kill()
		_ = live.Wait()
	})
	_ = killed.Process.Kill()
	_ = killed.Wait()
	if got := c.Databases(t, left); len(got) != 1 {
		t.Fatalf("the killed rig's database %s should be there before the sweep: %v", left, got)
	}
	r, err := netrig.New(context.Background(), &netrig.Options{DSN: c.DSN()})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Databases(t, left); len(got) != 0 {
		t.Errorf("the killed rig's database %s is still there after a new rig started", left)
	}
	if got := c.Databases(t, alive); len(got) != 1 {
		t.Errorf("the live rig's database %s was dropped", alive)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if got := c.Databases(t, r.Database()); len(got) != 0 {
		t.Errorf("Close left the rig's database %s", r.Database())
	}
}
