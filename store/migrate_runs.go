package store

import (
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// Migration 202612031002_xun_buckets (issue 19): the binary runs of a month
// (BucketRun2…16, supervision_models.go), so a custom range reads at most
// four buckets per partial month. The refresh keeps them from now on; this
// backfills them from the day buckets already summed: 2-day runs from
// days, 4-day from 2-day and so on, each step reading half the rows of the
// one before. The counter columns are this migration's snapshot.
var runsCounterColumns = []string{
	"cases", "tasks", "returned", "resp_due", "resp_on_time", "res_due", "res_solved",
	"close_due", "close_on_time", "verifs", "verifs_failed", "ext_tasks", "ext_granted",
	"evals_default", "g_evals", "g_sum", "g_sat", "g_basic", "o_evals", "o_sum", "o_sat", "o_basic",
	"d_evals", "d_sum", "d_sat", "d_basic", "cb_unreached", "cb_expired",
}

// runKindsOf are the run kinds this migration writes, each summed from the
// kind before it (area rows lower case, per-district department rows
// upper case).
var runsBackfill = []struct {
	kind, from string
	days       int
	dept       string // the department_id condition of the rows summed
}{
	{"b", "d", 2, "department_id = ''"}, {"c", "b", 4, "department_id = ''"},
	{"e", "c", 8, "department_id = ''"}, {"f", "e", 16, "department_id = ''"},
	{"B", "D", 2, "department_id <> ''"}, {"C", "B", 4, "department_id <> ''"},
	{"E", "C", 8, "department_id <> ''"}, {"F", "E", 16, "department_id <> ''"},
}

func migrateRuns(tx *gorm.DB) error {
	if err := rollbackRuns(tx); err != nil {
		return err
	}
	cols := strings.Join(runsCounterColumns, ", ")
	sums := make([]string, len(runsCounterColumns))
	for i, c := range runsCounterColumns {
		sums[i] = "SUM(" + c + ")"
	}
	for _, r := range runsBackfill {
		n := strconv.Itoa(r.days)
		// A run's first day: the day's month, then (day-1) rounded down
		// to a multiple of n, plus one. Starts are YYYYMMDD integers.
		start := "start / 100 * 100 + (start % 100 - 1) / " + n + " * " + n + " + 1"
		q := "INSERT INTO supervision_rollup (kind, start, department_id, area_id, district_id, " + cols + ") SELECT '" + r.kind + "', " +
			start + ", department_id, area_id, MIN(district_id), " + strings.Join(sums, ", ") +
			" FROM supervision_rollup WHERE kind = '" + r.from + "' AND " + r.dept + " GROUP BY " + start + ", department_id, area_id"
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("backfill %d-day run buckets (%s): %w", r.days, r.kind, err)
		}
	}
	return nil
}

func rollbackRuns(tx *gorm.DB) error {
	if err := tx.Exec("DELETE FROM supervision_rollup WHERE kind IN ('b', 'c', 'e', 'f', 'B', 'C', 'E', 'F')").Error; err != nil {
		return fmt.Errorf("drop run buckets: %w", err)
	}
	return nil
}
