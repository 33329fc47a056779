package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	runtimepprof "runtime/pprof"
	"slices"
	"sort"
	"strings"
	"sync"

	"go.temporal.io/sdk/client"

	"github.com/shaobao/shaobao/loadgen"
	"github.com/shaobao/shaobao/workflows"
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

// payloadSample is how many closed cases' histories --profile sizes.
const payloadSample = 5

// reportPayloads prints, with --profile, the encoded size of each kind of
// payload in a few closed cases' histories (p50 and max bytes), read
// through the client: the start input, every Update's input and result,
// each local activity's marker (by activity type), activity inputs, the
// projection's input (rebuilt from the Update results, as the marker does
// not hold it) and the answer to QueryState. It returns the headline
// sizes as key=value.
func (e *benchEnv) reportPayloads(ctx context.Context, tc client.Client, bc *benchConfig, caseIDs []string) []string {
	sizes := map[string][]int{}
	sampled := 0
	for _, id := range caseIDs[:min(payloadSample, len(caseIDs))] {
		h, err := loadgen.ReadHistory(ctx, tc, workflows.WorkflowID(id))
		if err != nil {
			e.printf("payload sizes: %v", err)
			continue
		}
		sampled++
		for k, ns := range h.Sizes {
			sizes[k] = append(sizes[k], ns...)
		}
		n, err := loadgen.QueryStateSize(ctx, tc, bc.TemporalNamespace, workflows.WorkflowID(id))
		if err != nil {
			e.printf("payload sizes: %v", err)
			continue
		}
		sizes[loadgen.KindQueryState] = append(sizes[loadgen.KindQueryState], n)
	}
	if sampled == 0 {
		return nil
	}
	e.printf("payload sizes in %d closed cases' histories (bytes of encoded data):", sampled)
	e.printf("  %-44s %5s %8s %8s", "kind", "n", "p50", "max")
	kinds := make([]string, 0, len(sizes))
	for k := range sizes {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		p50, hi := sizeQuantiles(sizes[k])
		e.printf("  %-44s %5d %8d %8d", k, len(sizes[k]), p50, hi)
	}
	var results []int
	for _, k := range kinds {
		if strings.HasPrefix(k, "update ") && strings.HasSuffix(k, " result") {
			results = append(results, sizes[k]...)
		}
	}
	var kv []string
	for _, f := range []struct {
		key string
		ns  []int
	}{
		{"query_state", sizes[loadgen.KindQueryState]},
		{"projection", sizes[loadgen.KindProjection]},
		{"update_result", results},
		{"start_input", sizes[loadgen.KindStartInput]},
	} {
		if len(f.ns) == 0 {
			continue
		}
		p50, hi := sizeQuantiles(f.ns)
		kv = append(kv, fmt.Sprintf("%s_bytes_p50=%d", f.key, p50), fmt.Sprintf("%s_bytes_max=%d", f.key, hi))
	}
	return kv
}

// sizeQuantiles is the p50 (nearest rank) and max of ns.
func sizeQuantiles(ns []int) (p50, hi int) {
	if len(ns) == 0 {
		return 0, 0
	}
	s := slices.Sorted(slices.Values(ns))
	return s[(len(s)+1)/2-1], s[len(s)-1]
}
