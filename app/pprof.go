package app

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	runtimepprof "runtime/pprof"
	"strconv"
	"time"
)

// ServePprof serves runtime profiles on PprofAddr when set, under
// /debug/pprof/profile (CPU, ?seconds=N) and /debug/pprof/NAME (heap,
// goroutine, allocs, ...): a loopback listener of its own, never the
// API's. `shaobao bench --profile DIR` sets it on the servers it starts.
// Close stops it.
func (a *App) ServePprof() error {
	addr := a.Config.PprofAddr
	if addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--pprof-addr %q: give a loopback host:port", addr)
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
		p := runtimepprof.Lookup(r.PathValue("name"))
		if p == nil {
			http.NotFound(w, r)
			return
		}
		_ = p.WriteTo(w, 0)
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen for pprof on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Log.Error("pprof listener stopped", "err", err)
		}
	}()
	a.OnClose(func() { _ = srv.Close() })
	a.Log.Info("pprof served", "url", "http://"+ln.Addr().String()+"/debug/pprof/")
	return nil
}
