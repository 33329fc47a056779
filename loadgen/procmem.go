package loadgen

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Memory is a process's resident memory from /proc/PID/status (Linux).
type Memory struct {
	PID int
	// Peak is VmHWM: the highest resident set since the process started.
	Peak int64 // bytes
	// Now is VmRSS.
	Now int64 // bytes
}

// ReadMemory reads VmHWM and VmRSS of pid.
func ReadMemory(pid int) (Memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, err
	}
	defer f.Close()
	m := Memory{PID: pid}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmHWM" && key != "VmRSS") {
			continue
		}
		fields := strings.Fields(val) // "123456 kB"
		if len(fields) == 0 {
			continue
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return m, fmt.Errorf("/proc/%d/status %s: %w", pid, key, err)
		}
		if key == "VmHWM" {
			m.Peak = kb << 10
		} else {
			m.Now = kb << 10
		}
	}
	if err := sc.Err(); err != nil {
		return m, err
	}
	if m.Peak == 0 {
		return m, fmt.Errorf("/proc/%d/status has no VmHWM", pid)
	}
	return m, nil
}

// ListenerPID finds the process listening on TCP port (on any local
// address) by matching the socket's inode in /proc/net/tcp{,6} with the
// open files of the processes this user may read. It returns 0 when none
// is found.
func ListenerPID(port int) int {
	inodes := map[string]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		raw, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(raw), "\n")[1:] {
			f := strings.Fields(line)
			// sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode
			if len(f) < 10 || f[3] != "0A" { // 0A: LISTEN
				continue
			}
			_, hexPort, ok := strings.Cut(f[1], ":")
			if p, err := strconv.ParseInt(hexPort, 16, 32); ok && err == nil && int(p) == port {
				inodes["socket:["+f[9]+"]"] = true
			}
		}
	}
	if len(inodes) == 0 {
		return 0
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/fd")
	for _, fdDir := range procs {
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if target, err := os.Readlink(filepath.Join(fdDir, fd.Name())); err == nil && inodes[target] {
				pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(fdDir)))
				return pid
			}
		}
	}
	return 0
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every
// Linux this runs on.
const clockTicks = 100

// ReadCPU returns the CPU time (user + system) pid has used so far.
func ReadCPU(pid int) (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: count from after ')'.
	s := string(raw)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// ProcessesNamed returns the pids of the processes whose command name
// (/proc/PID/comm) is name and whose command line (which a PostgreSQL
// backend rewrites to "postgres: CLUSTER: USER DATABASE HOST ...") has
// one of words as a word; with no words, every process named name.
func ProcessesNamed(name string, words ...string) []int {
	var pids []int
	dirs, _ := filepath.Glob("/proc/[0-9]*/comm")
	for _, path := range dirs {
		raw, err := os.ReadFile(path)
		if err != nil || strings.TrimSpace(string(raw)) != name {
			continue
		}
		dir := filepath.Dir(path)
		if len(words) > 0 {
			cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline"))
			if err != nil {
				continue
			}
			fields := strings.Fields(strings.ReplaceAll(string(cmdline), "\x00", " "))
			if !slices.ContainsFunc(fields, func(f string) bool { return slices.Contains(words, f) }) {
				continue
			}
		}
		if pid, err := strconv.Atoi(filepath.Base(dir)); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}
