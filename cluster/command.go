package cluster

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/shaobao/shaobao/redact"
)

const usage = `shaobao cluster starts Shaobao on a multi-service Temporal cluster on this
machine, every part its own process: the official Temporal server (built by
.ci/temporal-tools at the pinned version) as a frontend, --history history
processes, --matching matching processes and a worker service, on new
databases of the local PostgreSQL made with temporal-sql-tool; and
"shaobao serve --role api" ×--apis and "--role worker" ×--workers on a new
Shaobao database with the demo city. It prints the addresses and process
ids (kill -9 any of them to see the rest carry on) and runs until
interrupted, then stops everything and drops the databases (unless --keep).

`

// Command runs `shaobao cluster` with args, printing the addresses to out.
// The running executable must be the shaobao binary: it is what the api
// and worker processes run.
func Command(ctx context.Context, args []string, out io.Writer) error {
	var opts Options
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&opts.Tools, "temporal-tools", os.Getenv("SHAOBAO_TEMPORAL_TOOLS"), "the `DIR` .ci/temporal-tools prints (SHAOBAO_TEMPORAL_TOOLS)")
	fs.StringVar(&opts.Postgres, "postgres", os.Getenv("SHAOBAO_TEST_POSTGRES"), "PostgreSQL `URL` whose user may create databases (SHAOBAO_TEST_POSTGRES)")
	fs.StringVar(&opts.Dir, "dir", "", "folder of the config files and logs (default: a temporary one)")
	fs.IntVar(&opts.History, "history", 2, "history processes")
	fs.IntVar(&opts.Matching, "matching", 2, "matching processes")
	fs.IntVar(&opts.APIs, "apis", 2, "serve --role api processes")
	fs.IntVar(&opts.Workers, "workers", 2, "serve --role worker processes")
	fs.StringVar(&opts.Namespace, "namespace", "default", "Temporal namespace to register")
	fs.BoolVar(&opts.Keep, "keep", false, "keep the databases and the folder at the end")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if opts.Tools == "" || opts.Postgres == "" {
		fs.Usage()
		return errors.New("cluster: --temporal-tools and --postgres are required")
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	opts.Shaobao = exe
	opts.Logf = func(format string, args ...any) { fmt.Fprintf(os.Stderr, "cluster: "+format+"\n", args...) }
	c, err := Start(ctx, opts)
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Fprintf(out, "temporal frontend  %s (namespace %s)\n", c.Frontend, c.Namespace())
	fmt.Fprintf(out, "api                %s\n", strings.Join(c.APIs, " "))
	fmt.Fprintf(out, "shaobao database   %s\n", redact.URL(c.DatabaseURL))
	fmt.Fprintf(out, "temporal databases %s, %s\n", c.TemporalDB, c.VisibilityDB)
	fmt.Fprintf(out, "logs and configs   %s\n", c.Dir)
	for _, p := range c.Procs {
		fmt.Fprintf(out, "  %-22s pid %-8d log %s\n", p.Name, p.PID(), p.LogPath)
	}
	fmt.Fprintf(out, "tokens: %s token c1-secretary --database-url %q\n", exe, c.DatabaseURL)
	fmt.Fprintln(out, "running; interrupt (Ctrl-C) to stop and drop the databases")
	<-ctx.Done()
	return nil
}
