package pgstore

import (
	"fmt"
	"hash/fnv"
	"os"
	"strconv"
	"strings"
)

// processTag names this process among every process that may share a
// server: a key of the host's boot and of the pid namespace, the pid, and
// the process's start time (so that a reused pid is another process).
func processTag() string {
	host, ok := hostKey()
	if !ok {
		return ""
	}
	pid := os.Getpid()
	start, ok := startTime(pid)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%s_%d_%d", host, pid, start)
}

// exited reports whether tag names a process of this host and pid
// namespace that has ended: its pid is gone, or names a process that
// started at another time.
func exited(tag string) bool {
	f := strings.Split(tag, "_")
	host, ok := hostKey()
	if len(f) != 3 || !ok || f[0] != host {
		return false
	}
	pid, err1 := strconv.Atoi(f[1])
	start, err2 := strconv.ParseUint(f[2], 10, 64)
	if err1 != nil || err2 != nil || pid <= 0 {
		return false
	}
	now, alive := startTime(pid)
	return !alive || now != start
}

// hostKey is 8 hex digits of a hash of the boot id and the pid namespace:
// pids are comparable only between processes that share both.
func hostKey() (string, bool) {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return "", false
	}
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return "", false
	}
	h := fnv.New32a()
	h.Write(boot)
	h.Write([]byte(ns))
	return fmt.Sprintf("%08x", h.Sum32()), true
}

// startTime returns when a process started, in clock ticks since boot
// (field 22 of /proc/PID/stat), or false when there is no such process.
func startTime(pid int) (uint64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name, field 2, is in parentheses and may hold anything.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:])) // from field 3 on
	if len(f) < 20 {
		return 0, false
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	return start, err == nil
}
