package cluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Proc is one process of the cluster: a Temporal service or a Shaobao
// role. It can be killed (kill -9) and started again with the same
// command line, so it comes back on the same ports; every run's output
// goes to one log file.
type Proc struct {
	// Name is unique in the cluster: temporal-history-1, shaobao-api-2, ...
	Name string
	// Kind is what it runs: frontend, history, matching, worker (the
	// Temporal services), api or shaobao-worker.
	Kind    string
	LogPath string

	exe  string
	args []string
	env  []string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// Start starts the process (again); it is an error if it is running.
func (p *Proc) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && !isClosed(p.exited) {
		return fmt.Errorf("cluster: %s is already running (pid %d)", p.Name, p.cmd.Process.Pid)
	}
	logFile, err := os.OpenFile(p.LogPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("cluster: log of %s: %w", p.Name, err)
	}
	fmt.Fprintf(logFile, "===== %s start: %s %s\n", time.Now().Format(time.RFC3339Nano), p.exe, strings.Join(p.args, " "))
	cmd := exec.Command(p.exe, p.args...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Each process dies with the launcher, even when that is killed: no
	// orphaned cluster keeps the ports and the databases busy.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("cluster: start %s: %w", p.Name, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(exited)
	}()
	p.cmd, p.exited = cmd, exited
	return nil
}

// PID is the process id of the current run, 0 if it never started.
func (p *Proc) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Running reports whether the current run has not exited.
func (p *Proc) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil && !isClosed(p.exited)
}

// Kill sends SIGKILL, as kill -9 does, and waits until the process is
// gone.
func (p *Proc) Kill() error { return p.signal(syscall.SIGKILL, 0) }

// Stop sends SIGTERM and waits at most grace (30 s when 0), then kills it
// and says so: a process that does not shut down when asked is an error.
func (p *Proc) Stop(grace time.Duration) error { return p.signal(syscall.SIGTERM, grace) }

// NewProc returns a process that runs exe with args, the environment plus
// env, its output (across runs) appended to logPath; Start starts it.
func NewProc(name, exe, logPath string, args, env []string) *Proc {
	return &Proc{Name: name, LogPath: logPath, exe: exe, args: args, env: env}
}

func (p *Proc) signal(sig syscall.Signal, grace time.Duration) error {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd == nil || isClosed(exited) {
		return nil
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("cluster: signal %s: %w", p.Name, err)
	}
	if grace <= 0 {
		grace = 30 * time.Second
	}
	select {
	case <-exited:
		return nil
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-exited
		return fmt.Errorf("cluster: %s did not exit within %s of %v; killed", p.Name, grace, sig)
	}
}

// LogTail is the last n lines of the process's log, across its runs.
func (p *Proc) LogTail(n int) string {
	raw, err := os.ReadFile(p.LogPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
