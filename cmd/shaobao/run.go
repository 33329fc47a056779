package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/shaobao/shaobao/app"
	"github.com/shaobao/shaobao/bench"
	"github.com/shaobao/shaobao/citygen"
	"github.com/shaobao/shaobao/cluster"
	"github.com/shaobao/shaobao/redact"
	"github.com/shaobao/shaobao/store"
)

const usage = `shaobao — 哨报: 街乡吹哨、部门报到

Usage:
  shaobao dev [--addr HOST:PORT] [--data DIR] [--worker=false]   everything in one process (embedded Temporal + SQLite, demo city)
  shaobao serve [--role api|worker|all]           production shape: TEMPORAL_ADDRESS, DATABASE_URL
  shaobao migrate [--data DIR | --database-url URL]
  shaobao seed demo [--data DIR | --database-url URL]
  shaobao token USERNAME [--data DIR | --database-url URL] [--ttl 720h]
  shaobao admin create --username admin [--password-file FILE] [--data DIR | --database-url URL]   the first admin of serve
  shaobao bench --cases N --concurrency C [--target URL] [--compare OTHER_BINARY]   load: full lifecycles/s against the engine's no-op and bare-shape baselines
  shaobao gen city --database-url URL [--cases N]    a Beijing-sized city with N historical cases (PostgreSQL)
  shaobao cluster --temporal-tools DIR --postgres URL   a multi-service Temporal cluster with serve --role api/worker ×2 on this machine
  shaobao backup --data DIR --out FILE             the embedded default's databases and files in one archive, also while dev runs
  shaobao restore --in FILE --data NEWDIR          a backup into a new, empty data folder

Run "shaobao COMMAND -h" for a command's flags.
`

func run(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return errors.New("no command given")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "dev":
		return runDev(ctx, rest)
	case "serve":
		return runServe(ctx, rest)
	case "migrate":
		return runMigrate(ctx, rest)
	case "seed":
		if len(rest) == 0 || rest[0] != "demo" {
			return errors.New(`seed: the only data set is "demo": shaobao seed demo`)
		}
		return runSeedDemo(ctx, rest[1:])
	case "token":
		return runToken(ctx, rest)
	case "admin":
		return runAdmin(ctx, rest)
	case "bench":
		return bench.Command(ctx, rest, os.Stdout)
	case "cluster":
		return cluster.Command(ctx, rest, os.Stdout)
	case "gen":
		if len(rest) == 0 || rest[0] != "city" {
			return errors.New(`gen: the only generator is "city": shaobao gen city --database-url URL --cases N`)
		}
		return citygen.Command(ctx, rest[1:], os.Stdout)
	case "backup":
		return runBackup(ctx, rest)
	case "restore":
		return runRestore(ctx, rest)
	case "help", "-h", "--help":
		fmt.Print(usage)
		return nil
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// parse parses a subcommand's flags; positional arguments may come before
// or after them ("token c1-secretary --data DIR").
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func runMigrate(ctx context.Context, args []string) error {
	return onStore(ctx, "migrate", args, "migrated:", (*store.Store).SeedDefaults)
}

func runSeedDemo(ctx context.Context, args []string) error {
	return onStore(ctx, "seed demo", args, "demo city seeded:", (*store.Store).SeedDemo)
}

// onStore is a subcommand that migrates the configured database, runs fn
// on it and says done.
func onStore(ctx context.Context, name string, args []string, done string, fn func(*store.Store, context.Context) error) error {
	var cfg Config
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	cfg.bind(fs, "data", "db")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	st, err := app.OpenStore(ctx, &cfg.Config)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := fn(st, ctx); err != nil {
		return err
	}
	fmt.Println(done, redact.URL(cfg.StoreURL()))
	return nil
}

func runToken(ctx context.Context, args []string) error {
	var cfg Config
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	cfg.bind(fs, "data", "db")
	ttl := fs.Duration("ttl", store.DefaultTokenTTL, "how long the token is valid")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("token: give exactly one USERNAME, e.g. shaobao token c1-secretary")
	}
	if err := checkTokenTTL(*ttl); err != nil {
		return err
	}
	// A token needs users: never create an empty database for one.
	if err := requireDatabase(&cfg.Config); err != nil {
		return err
	}
	st, err := app.OpenStore(ctx, &cfg.Config)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := st.UserByUsername(ctx, pos[0])
	if err != nil {
		return fmt.Errorf("user %q not found in %s (run `%s dev` or `%s seed demo` first): %w", pos[0], redact.URL(cfg.StoreURL()), selfCommand(), selfCommand(), err)
	}
	token, err := st.IssueToken(ctx, u.ID, "cli "+time.Now().UTC().Format(time.RFC3339), *ttl)
	if err != nil {
		return err
	}
	fmt.Println(token)
	return nil
}

func absDir(dir string) string {
	if a, err := filepath.Abs(dir); err == nil {
		return a
	}
	return dir
}

// requireDatabase fails, creating nothing, when the configured SQLite file
// does not exist (PostgreSQL URLs are left to the connection).
func requireDatabase(cfg *app.Config) error {
	u := cfg.StoreURL()
	path, ok := strings.CutPrefix(u, "sqlite:")
	if !ok {
		return nil
	}
	path, _, _ = strings.Cut(path, "?")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no database at %s: start `%s dev --data %s` once first (or give --database-url)", path, selfCommand(), cfg.DataDir)
	} else if err != nil {
		return fmt.Errorf("database %s: %w", path, err)
	}
	return nil
}
