package bench

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	runtimepprof "runtime/pprof"
	"sync"
)

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
