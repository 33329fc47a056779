package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// compareBuilds names the two builds of --compare: A is this binary, B the
// other one.
var compareBuilds = [2]string{"A", "B"}

// compareOrder is the builds of rounds rounds each, alternating and A
// first: 0 1 0 1 ... (0 is A, 1 is B).
func compareOrder(rounds int) []int {
	order := make([]int, 0, 2*rounds)
	for range rounds {
		order = append(order, 0, 1)
	}
	return order
}

// compareSkip are figures that are settings of the run, not measurements.
var compareSkip = []string{"cases", "concurrency", "cores", "bare_updates"}

// compareHeadline are the figures the last line carries per build.
var compareHeadline = []string{"lifecycles_per_s", "noop_per_s", "ratio", "bare_per_s", "bare_ratio",
	"cpu_ms_per_lifecycle", "bare_cpu_ms_per_shape", "bare_cpu_ratio", "events_per_lifecycle", "events_per_bare",
	"file_p95_ms", "report_p95_ms", "feedback_p95_ms", "verify_p95_ms", "evaluate_p95_ms"}

// compareRow is one figure of both builds: each round's value, the
// medians and B's median ÷ A's.
type compareRow struct {
	Key        string
	A, B       []float64
	MedA, MedB float64
	Ratio      float64 // MedB / MedA; 0 when MedA is 0
}

// compareRows lines up the numeric figures of A's and B's rounds (each
// round its key=value list), in the order the keys first appear.
func compareRows(a, b [][]string) []compareRow {
	var keys []string
	vals := [2]map[string][]float64{{}, {}}
	for i, rounds := range [][][]string{a, b} {
		for _, kv := range rounds {
			for _, f := range kv {
				k, v, ok := strings.Cut(f, "=")
				if !ok || slices.Contains(compareSkip, k) {
					continue
				}
				if !slices.Contains(keys, k) {
					keys = append(keys, k)
				}
				if x, err := strconv.ParseFloat(v, 64); err == nil {
					vals[i][k] = append(vals[i][k], x)
				}
			}
		}
	}
	rows := make([]compareRow, 0, len(keys))
	for _, k := range keys {
		if len(vals[0][k])+len(vals[1][k]) == 0 {
			continue // never a number
		}
		r := compareRow{Key: k, A: vals[0][k], B: vals[1][k], MedA: median(vals[0][k]), MedB: median(vals[1][k])}
		r.Ratio = ratio(r.MedB, r.MedA)
		rows = append(rows, r)
	}
	return rows
}

// median is the middle value of xs (the mean of the two middle ones for
// an even count), 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if n := len(s); n%2 == 1 {
		return s[n/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// runCompare runs bc.Rounds rounds of this build (A) and of bc.Compare
// (B), alternating, each round a full bench run against a dev server of
// its build on a fresh temporary folder, and prints both builds' figures
// side by side.
func runCompare(ctx context.Context, bc *benchConfig, out io.Writer) error {
	if bc.Target != "" || bc.TemporalPostgres != "" || bc.Cluster || bc.Open > 0 {
		return errors.New("bench: --compare starts each build's own dev server: it does not go with --target, --temporal-postgres, --cluster or --open")
	}
	if bc.Rounds < 1 {
		return errors.New("bench: --rounds must be at least 1")
	}
	other, err := filepath.Abs(bc.Compare)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(other); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("bench: --compare %s is not an executable shaobao binary (%v)", bc.Compare, err)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	builds := [2]string{self, other}
	fmt.Fprintf(out, "compare: A = %s (this build), B = %s; %d rounds of each, alternating, %d lifecycles per round\n",
		builds[0], builds[1], bc.Rounds, bc.Cases)
	var figures [2][][]string
	for i, b := range compareOrder(bc.Rounds) {
		rb := *bc
		rb.Compare, rb.exe = "", builds[b]
		rb.DataDir = defaultDataDir // a fresh temporary folder per round
		if bc.DataDir != defaultDataDir {
			fmt.Fprintf(out, "compare: --data %s is ignored: each round has a fresh temporary folder\n", bc.DataDir)
		}
		if bc.Profile != "" {
			rb.Profile = filepath.Join(bc.Profile, fmt.Sprintf("round%d-%s", i+1, compareBuilds[b]))
		}
		fmt.Fprintf(out, "\n=== round %d of %d: build %s (%s) ===\n", i+1, 2*bc.Rounds, compareBuilds[b], builds[b])
		kv, err := rb.run(ctx, out)
		if err != nil {
			return fmt.Errorf("bench: round %d (build %s, %s): %w", i+1, compareBuilds[b], builds[b], err)
		}
		figures[b] = append(figures[b], kv)
	}
	rows := compareRows(figures[0], figures[1])
	printCompare(out, rows)
	kv := []string{fmt.Sprintf("compare_rounds=%d", bc.Rounds)}
	for _, r := range rows {
		if slices.Contains(compareHeadline, r.Key) {
			kv = append(kv, fmt.Sprintf("a_%s=%s", r.Key, num(r.MedA)), fmt.Sprintf("b_%s=%s", r.Key, num(r.MedB)),
				fmt.Sprintf("b_over_a_%s=%.3f", r.Key, r.Ratio))
		}
	}
	fmt.Fprintln(out, strings.Join(kv, " "))
	return nil
}

// printCompare prints the side-by-side table.
func printCompare(out io.Writer, rows []compareRow) {
	fmt.Fprintf(out, "\nA against B (medians of the rounds; B÷A over 1 means B's figure is higher):\n")
	fmt.Fprintf(out, "%-40s %12s %12s %8s   %s | %s\n", "figure", "A", "B", "B÷A", "A rounds", "B rounds")
	for _, r := range rows {
		q := "-"
		if r.MedA != 0 {
			q = fmt.Sprintf("%.3f", r.Ratio)
		}
		fmt.Fprintf(out, "%-40s %12s %12s %8s   %s | %s\n", r.Key, num(r.MedA), num(r.MedB), q, nums(r.A), nums(r.B))
	}
}

// num prints a figure with at most three decimals and no trailing zeros.
func num(x float64) string { return strconv.FormatFloat(math.Round(x*1000)/1000, 'f', -1, 64) }

func nums(xs []float64) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = num(x)
	}
	return strings.Join(s, " ")
}
