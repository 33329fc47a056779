package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/term"

	"github.com/shaobao/shaobao/app"
	"github.com/shaobao/shaobao/redact"
	"github.com/shaobao/shaobao/store"
)

// adminPasswordEnv creates the first admin of `serve` at first start.
const adminPasswordEnv = "SHAOBAO_ADMIN_PASSWORD"

// runAdmin is `shaobao admin create --username NAME [--password-file F]`:
// the first admin of a production database (serve has no default
// password). Without --password-file it prompts twice on the terminal.
func runAdmin(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("admin: the only subcommand is create: shaobao admin create --username admin [--password-file FILE]")
	}
	var cfg Config
	fs := flag.NewFlagSet("admin create", flag.ContinueOnError)
	cfg.bind(fs, "data", "db")
	username := fs.String("username", "admin", "the new admin's username")
	name := fs.String("display-name", "系统管理员", "the new admin's display name")
	pwFile := fs.String("password-file", "", "read the password from this file (first line); empty: prompt")
	if _, err := parse(fs, args[1:]); err != nil {
		return err
	}
	pw, err := readPassword(*pwFile, os.Stdin, os.Stderr)
	if err != nil {
		return err
	}
	if err := store.CheckPasswordPolicy(*username, pw); err != nil {
		return fmt.Errorf("admin create: %w", err)
	}
	st, err := app.OpenStore(ctx, &cfg.Config)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.SeedDefaults(ctx); err != nil {
		return err
	}
	u, err := st.CreateAdmin(ctx, *username, *name, pw)
	if err != nil {
		return fmt.Errorf("admin create: %w", err)
	}
	fmt.Printf("admin %s created in %s: sign in at /app/signin\n", u.Username, redact.URL(cfg.StoreURL()))
	return nil
}

// readPassword reads the password from file, or prompts for it twice on
// the terminal without echo.
func readPassword(file string, in *os.File, out io.Writer) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("admin create: --password-file: %w", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimRight(line, "\r"), nil
	}
	if !term.IsTerminal(int(in.Fd())) {
		// A pipe: the first line is the password.
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && line == "" {
			return "", errors.New("admin create: no password given (use --password-file or a terminal)")
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	fmt.Fprint(out, "密码 / password: ")
	a, err := term.ReadPassword(int(in.Fd()))
	fmt.Fprintln(out)
	if err != nil {
		return "", fmt.Errorf("admin create: read password: %w", err)
	}
	fmt.Fprint(out, "再输一次 / again: ")
	b, err := term.ReadPassword(int(in.Fd()))
	fmt.Fprintln(out)
	if err != nil {
		return "", fmt.Errorf("admin create: read password: %w", err)
	}
	if string(a) != string(b) {
		return "", errors.New("admin create: the two passwords differ")
	}
	return string(a), nil
}

// firstAdminFromEnv creates the admin "admin" from SHAOBAO_ADMIN_PASSWORD
// when the database has no admin yet; once one exists the variable is
// ignored (and said so). The variable is cleared from the process either way.
func firstAdminFromEnv(ctx context.Context, st *store.Store, logf func(msg string, args ...any)) error {
	pw, ok := os.LookupEnv(adminPasswordEnv)
	if !ok || pw == "" {
		return nil
	}
	_ = os.Unsetenv(adminPasswordEnv)
	has, err := st.HasAdmin(ctx)
	if err != nil {
		return err
	}
	if has {
		logf("an admin exists: " + adminPasswordEnv + " ignored (remove it from the environment)")
		return nil
	}
	if _, err := st.CreateAdmin(ctx, "admin", "系统管理员", pw); err != nil {
		return fmt.Errorf("%s: %w", adminPasswordEnv, err)
	}
	logf("first admin created from "+adminPasswordEnv, "username", "admin")
	return nil
}

// selfCommand is how a user runs this binary again: `go run ./cmd/shaobao`
// when it was built by go run (a temporary go-build folder), its name
// when that is on the PATH, else the path it was started by.
func selfCommand() string {
	exe, err := os.Executable()
	if err == nil && strings.Contains(filepath.ToSlash(exe), "/go-build") {
		return "go run ./cmd/shaobao"
	}
	base := filepath.Base(os.Args[0])
	if p, err := exec.LookPath(base); err == nil && exe != "" && sameFile(p, exe) {
		return base
	}
	return os.Args[0]
}

func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}
