package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	runtimepprof "runtime/pprof"
	"strconv"
	"sync"
	"time"
)

// pprofAddrEnv, when set in the environment of any shaobao process, makes
// it serve net/http/pprof on that address (loopback only; a listener of
// its own, never on the API's). `shaobao bench --profile DIR` sets it for
// the server it starts and collects the server's CPU profile through it.
const pprofAddrEnv = "SHAOBAO_PPROF_ADDR"

func init() {
	addr := os.Getenv(pprofAddrEnv)
	if addr == "" {
		return
	}
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		fmt.Fprintf(os.Stderr, "shaobao: %s=%q ignored: give a loopback host:port\n", pprofAddrEnv, addr)
		return
	}
	// runtime/pprof, not net/http/pprof: that package's init registers its
	// handlers on http.DefaultServeMux, which nothing here should expose.
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/profile", func(w http.ResponseWriter, r *http.Request) {
		seconds, err := strconv.Atoi(r.URL.Query().Get("seconds"))
		if err != nil || seconds < 1 || seconds > 600 {
			seconds = 30
		}
		if err := runtimepprof.StartCPUProfile(w); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		select {
		case <-time.After(time.Duration(seconds) * time.Second):
		case <-r.Context().Done():
		}
		runtimepprof.StopCPUProfile()
	})
	mux.HandleFunc("/debug/pprof/{name}", func(w http.ResponseWriter, r *http.Request) {
		p := runtimepprof.Lookup(r.PathValue("name")) // heap, goroutine, allocs, ...
		if p == nil {
			http.NotFound(w, r)
			return
		}
		_ = p.WriteTo(w, 0)
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "shaobao: pprof on %s: %v\n", addr, err)
		return
	}
	go func() { _ = http.Serve(ln, mux) }()
}

// startProfiles starts, with --profile, this process's CPU profile and a
// fetch of each started server process's, and returns what stops them and
// waits for the files.
func (e *benchEnv) startProfiles(bc *benchConfig) (stop func()) {
	if bc.Profile == "" {
		return func() {}
	}
	if err := os.MkdirAll(bc.Profile, 0o750); err != nil {
		e.printf("profile: %v", err)
		return func() {}
	}
	own, err := os.Create(filepath.Join(bc.Profile, "bench.pprof"))
	if err == nil {
		if err = runtimepprof.StartCPUProfile(own); err != nil {
			own.Close()
			own = nil
		}
	}
	if err != nil {
		e.printf("profile of this process: %v", err)
	}
	var wg sync.WaitGroup
	for _, p := range e.procs {
		if p.pprofAddr == "" {
			continue
		}
		wg.Go(func() {
			path := filepath.Join(bc.Profile, p.name+".pprof")
			res, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", p.pprofAddr, bc.ProfileSeconds))
			if err != nil {
				e.printf("profile of %s: %v", p.name, err)
				return
			}
			defer res.Body.Close()
			f, err := os.Create(path)
			if err == nil {
				_, err = io.Copy(f, res.Body)
				f.Close()
			}
			if err != nil {
				e.printf("profile of %s: %v", p.name, err)
			}
		})
	}
	return func() {
		if own != nil {
			runtimepprof.StopCPUProfile()
			own.Close()
		}
		wg.Wait()
		e.printf("profiles in %s: one per started server process (its first %d s of the lifecycles) and bench.pprof; read with `go tool pprof -top FILE`",
			bc.Profile, bc.ProfileSeconds)
	}
}
