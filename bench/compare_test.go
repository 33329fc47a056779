package bench

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCompareOrderAlternates(t *testing.T) {
	if got, want := compareOrder(3), []int{0, 1, 0, 1, 0, 1}; !slices.Equal(got, want) {
		t.Fatalf("compareOrder(3) = %v, want %v", got, want)
	}
	if got := compareOrder(1); !slices.Equal(got, []int{0, 1}) {
		t.Fatalf("compareOrder(1) = %v, want [0 1]", got)
	}
}

func TestCompareRows(t *testing.T) {
	a := [][]string{
		strings.Fields("lifecycles_per_s=10 cases=40 build=abc cpu_ms_per_lifecycle=150 load1_start=? events_per_lifecycle=65"),
		strings.Fields("lifecycles_per_s=12 cases=40 cpu_ms_per_lifecycle=160 load1_start=1.5 events_per_lifecycle=65"),
		strings.Fields("lifecycles_per_s=11 cases=40 cpu_ms_per_lifecycle=140 load1_start=1.7 events_per_lifecycle=66"),
	}
	b := [][]string{
		strings.Fields("lifecycles_per_s=15 cases=40 cpu_ms_per_lifecycle=100 load1_start=1.1 events_per_lifecycle=44"),
		strings.Fields("lifecycles_per_s=17 cases=40 cpu_ms_per_lifecycle=110 load1_start=1.3 events_per_lifecycle=44 bare_per_s=30"),
	}
	rows := compareRows(a, b)
	var keys []string
	for _, r := range rows {
		keys = append(keys, r.Key)
	}
	// Settings (cases) and keys never a number (build) are left out; a key
	// only one build has is kept.
	if want := []string{"lifecycles_per_s", "cpu_ms_per_lifecycle", "load1_start", "events_per_lifecycle", "bare_per_s"}; !slices.Equal(keys, want) {
		t.Fatalf("keys %v, want %v", keys, want)
	}
	want := map[string][3]float64{ // median A, median B, B÷A
		"lifecycles_per_s":     {11, 16, 16.0 / 11},
		"cpu_ms_per_lifecycle": {150, 105, 0.7},
		"load1_start":          {1.6, 1.2, 0.75}, // "?" is no figure
		"events_per_lifecycle": {65, 44, 44.0 / 65},
		"bare_per_s":           {0, 30, 0}, // no A: no ratio
	}
	for _, r := range rows {
		w := want[r.Key]
		if math.Abs(r.MedA-w[0]) > 1e-9 || math.Abs(r.MedB-w[1]) > 1e-9 || math.Abs(r.Ratio-w[2]) > 1e-9 {
			t.Errorf("%s: medians %v, %v ratio %v; want %v", r.Key, r.MedA, r.MedB, r.Ratio, w)
		}
	}
	if got := rows[0].A; !slices.Equal(got, []float64{10, 12, 11}) {
		t.Errorf("A's rounds of lifecycles_per_s %v, want them in run order", got)
	}
}

func TestCompareBare(t *testing.T) {
	ms := time.Millisecond
	life := cpuUse{server: 1500 * ms, bench: 300 * ms, postgres: 200 * ms} // 10 lifecycles: 200 ms each, 170 on the server side
	bare := cpuUse{server: 400 * ms, bench: 600 * ms}                      // 20 bare shapes: 50 ms each, 20 on the server side
	var bareAll []time.Duration
	for i := 1; i <= 100; i++ {
		bareAll = append(bareAll, time.Duration(i)*ms) // p95 95 ms
	}
	lat := map[string][]time.Duration{"file": {100 * ms, 190 * ms}, "get_case": {5 * ms}}
	c := compareBare(8, 10, life, lat, 32, 20, bare, bareAll)
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-9 }
	if !near(c.Throughput, 0.25) {
		t.Errorf("throughput ratio %v, want 8/32 = 0.25", c.Throughput)
	}
	if !near(c.LifeCPU, 200) || !near(c.BareCPU, 50) || !near(c.CPURatio, 4) {
		t.Errorf("CPU all processes %v ÷ %v = %v, want 200 ÷ 50 = 4", c.LifeCPU, c.BareCPU, c.CPURatio)
	}
	if !near(c.LifeServerCPU, 170) || !near(c.BareServerCPU, 20) || !near(c.ServerCPURatio, 8.5) {
		t.Errorf("CPU server side %v ÷ %v = %v, want 170 ÷ 20 = 8.5", c.LifeServerCPU, c.BareServerCPU, c.ServerCPURatio)
	}
	if c.BareP95 != 95*ms || !near(c.ActionP95["file"], 2) || !near(c.ActionP95["get_case"], 5.0/95) {
		t.Errorf("bare p95 %v, file %v×, get_case %v×; want 95ms, 2×, %v×", c.BareP95, c.ActionP95["file"], c.ActionP95["get_case"], 5.0/95)
	}
	if len(bareAll) != 100 || bareAll[0] != ms {
		t.Errorf("compareBare reordered its caller's latencies")
	}

	// With the Temporal server in the bench process the server side is everything.
	life.temporalInBench, bare.temporalInBench = true, true
	if c := compareBare(8, 10, life, lat, 32, 20, bare, bareAll); !near(c.ServerCPURatio, 4) {
		t.Errorf("Temporal in the bench: server-side ratio %v, want the all-process 4", c.ServerCPURatio)
	}
}
