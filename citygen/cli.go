package citygen

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/worktime"
)

// Command runs `shaobao gen city` with args (the flags after "city"):
//
//	shaobao gen city --database-url URL [--cases N] [--days D] [--end YYYY-MM-DD] [--seed S]
//
// It migrates the database named by --database-url (default DATABASE_URL;
// PostgreSQL, empty), generates the city into it and prints progress and a
// summary to out.
func Command(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("gen city", flag.ContinueOnError)
	fs.SetOutput(out)
	url := fs.String("database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL of a migrated or new, empty database (DATABASE_URL)")
	cases := fs.Int("cases", 1_000_000, "historical cases to generate")
	days := fs.Int("days", 1095, "days they are filed over, ending at --end")
	end := fs.String("end", "", "the day after the last filing, YYYY-MM-DD (default: today, China time)")
	seed := fs.Uint64("seed", 1, "random seed: the same seed makes the same city")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *url == "" {
		return errors.New("gen city: --database-url (or DATABASE_URL) is required")
	}
	o := Options{Cases: *cases, Days: *days, Seed: *seed}
	if *end != "" {
		t, err := time.ParseInLocation("2006-01-02", *end, worktime.Location)
		if err != nil {
			return fmt.Errorf("gen city: --end %q: want YYYY-MM-DD", *end)
		}
		o.End = t
	}
	st, err := store.Open(ctx, *url)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	stats, err := Generate(ctx, st, o, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "city generated in %s: %d org units, %d departments, %d users; %d cases, %d tasks, %d evaluations, %d breaches, %d escalations; %d roll-up buckets\n",
		stats.Took.Round(time.Second), stats.OrgUnits, stats.Departments, stats.Users, stats.Cases, stats.Tasks, stats.Evaluations,
		stats.Breaches, stats.Escalations, stats.RollupRows)
	return nil
}
